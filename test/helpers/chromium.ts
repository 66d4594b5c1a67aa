// Debian's headless Chromium driven by playwright-core (never a downloaded browser), and where screenshots go.
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { PACKAGE_ROOT } from '../../src/config/index.js';

export const SHOTS = path.join(PACKAGE_ROOT, 'var', 'screenshots');

/** Background networking off: this machine's closed network refuses Chromium's own connections. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
