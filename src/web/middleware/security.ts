// helmet with a strict Content-Security-Policy: only this origin, no inline scripts or styles; no framing; HSTS in production; Referer to this origin only.
import helmet from 'helmet';
import type { Config } from '../../config/index.js';

export function securityHeaders(config: Pick<Config, 'profile'>) {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
      },
    },
    // One framing policy: never framed. X-Frame-Options says the same as frame-ancestors 'none' for browsers
    // that do not read CSP (helmet's default SAMEORIGIN contradicted it).
    xFrameOptions: { action: 'deny' },
    // Production is served over TLS by the proxy (docs/deployment.md): browsers remember to use https for a year.
    // Not for subdomains, which this console does not own. Browsers ignore the header on plain http (development).
    strictTransportSecurity: config.profile === 'production' ? { maxAge: 31_536_000, includeSubDomains: false } : false,
    crossOriginEmbedderPolicy: false,
    // The console's own pages send their Origin (and Referer) with a form, so that middleware/fetch-origin.ts can
    // compare it; other sites still get no Referer (a task page's URL stays ours). helmet's no-referrer made
    // browsers send `Origin: null` even for the console's own forms.
    referrerPolicy: { policy: 'same-origin' },
  });
}
