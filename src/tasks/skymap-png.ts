// A multi-order sky map drawn as a PNG: an all-sky Mollweide projection of its probability density (no plotting library here).
import { PNG } from 'pngjs';
import type { Skymap } from './skymap-fits.js';

/** Orders whose NUNIQ indices stay exact in a double (4·4^order < 2^53). */
const MAX_ORDER = 24;

/**
 * HEALPix nested pixel index of a direction at `order` (the standard z/φ construction: which of the 12 base faces, then
 * the x/y position within it, bits interleaved). `z` = sin(dec), `phi` = RA in radians, 0 ≤ phi < 2π.
 */
export function nestedPixel(order: number, z: number, phi: number): number {
  const nside = 2 ** order;
  const za = Math.abs(z);
  const tt = (((phi / (Math.PI / 2)) % 4) + 4) % 4;
  let face: number;
  let ix: number;
  let iy: number;
  if (za <= 2 / 3) {
    const t1 = nside * (0.5 + tt);
    const t2 = nside * z * 0.75;
    const jp = Math.floor(t1 - t2);
    const jm = Math.floor(t1 + t2);
    const ifp = Math.floor(jp / nside);
    const ifm = Math.floor(jm / nside);
    face = ifp === ifm ? (ifp % 4) + 4 : ifp < ifm ? ifp % 4 : (ifm % 4) + 8;
    ix = ((jm % nside) + nside) % nside;
    iy = nside - (((jp % nside) + nside) % nside) - 1;
  } else {
    const ntt = Math.min(3, Math.floor(tt));
    const tp = tt - ntt;
    const tmp = nside * Math.sqrt(3 * (1 - za));
    const jp = Math.min(nside - 1, Math.floor(tp * tmp));
    const jm = Math.min(nside - 1, Math.floor((1 - tp) * tmp));
    if (z >= 0) [face, ix, iy] = [ntt, nside - jm - 1, nside - jp - 1];
    else [face, ix, iy] = [ntt + 8, jp, jm];
  }
  let interleaved = 0;
  for (let bit = 0; bit < order; bit += 1) {
    interleaved += ((ix >> bit) & 1) * 2 ** (2 * bit) + ((iy >> bit) & 1) * 2 ** (2 * bit + 1);
  }
  return face * nside * nside + interleaved;
}

/** The direction (z = sin dec, phi = RA) at a point of the Mollweide ellipse, or undefined outside it; x, y in [-1, 1]. */
export function mollweideDirection(x: number, y: number): { z: number; phi: number } | undefined {
  if (x * x + y * y > 1) return undefined;
  const theta = Math.asin(y);
  const z = (2 * theta + Math.sin(2 * theta)) / Math.PI;
  const longitude = (Math.PI * x) / Math.max(Math.cos(theta), 1e-12);
  // Astronomers' convention: RA grows to the left, 180° in the middle.
  const phi = (((Math.PI - longitude) % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI);
  return { z: Math.max(-1, Math.min(1, z)), phi };
}

/** Density → colour: white through yellow and orange to dark red, as sky maps are usually drawn. */
function colour(level: number): [number, number, number] {
  const stops: [number, [number, number, number]][] = [
    [0, [255, 255, 255]],
    [0.3, [255, 236, 120]],
    [0.6, [245, 140, 40]],
    [0.85, [200, 40, 30]],
    [1, [110, 0, 20]],
  ];
  for (let i = 1; i < stops.length; i += 1) {
    const [at, to] = stops[i];
    if (level <= at) {
      const [from, start] = stops[i - 1];
      const f = (level - from) / (at - from);
      return [0, 1, 2].map((c) => Math.round(start[c] + f * (to[c] - start[c]))) as [number, number, number];
    }
  }
  return stops[stops.length - 1][1];
}

/** An 8-bit RGB PNG from rows of pixels (pngjs writes it). */
export function encodePng(width: number, height: number, rgb: Uint8Array): Buffer {
  const options = { width, height, colorType: 2, inputColorType: 2, inputHasAlpha: false } as const;
  const png = new PNG(options);
  png.data = Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength);
  return PNG.sync.write(png, options);
}

/**
 * The map's probability density over the whole sky (Mollweide, RA 180° in the middle, growing to the left), linear from
 * zero to the densest pixel, with the ellipse's edge and a graticule (every 60° of RA, 30° of declination) in grey.
 * Throws when the map has pixels deeper than order 24, whose indices a double cannot hold.
 */
export function plotSkymap(map: Skymap, width = 720): Buffer {
  const height = width / 2;
  const density = new Map<number, number>();
  const orders = new Set<number>();
  let peak = 0;
  for (const pixel of map.pixels) {
    const order = Math.floor(Math.log2(pixel.uniq / 4) / 2);
    if (order > MAX_ORDER) throw new Error(`the sky map has pixels of order ${order}; at most ${MAX_ORDER} can be drawn`);
    orders.add(order);
    density.set(pixel.uniq, pixel.probdensity);
    peak = Math.max(peak, pixel.probdensity);
  }
  const byOrder = [...orders].sort((a, b) => a - b);
  const rgb = new Uint8Array(width * height * 3);
  const grey: [number, number, number] = [150, 150, 150];
  for (let row = 0; row < height; row += 1) {
    for (let col = 0; col < width; col += 1) {
      const x = ((col + 0.5) / width) * 2 - 1;
      const y = 1 - ((row + 0.5) / height) * 2;
      const at = (row * width + col) * 3;
      const direction = mollweideDirection(x, y);
      let paint: [number, number, number] = [255, 255, 255];
      if (direction) {
        let value = 0;
        for (const order of byOrder) {
          const found = density.get(4 * 4 ** order + nestedPixel(order, direction.z, direction.phi));
          if (found !== undefined) {
            value = found;
            break;
          }
        }
        paint = colour(peak > 0 ? value / peak : 0);
        const ra = (direction.phi * 180) / Math.PI;
        const dec = (Math.asin(direction.z) * 180) / Math.PI;
        // About one image pixel wide: the step of RA and declination per pixel here.
        const raStep = 360 / (width * Math.sqrt(Math.max(1 - y * y, 1e-6)));
        const decStep = 180 / height;
        const nearRa = Math.abs(((ra + 30) % 60) - 30) < raStep * 0.6;
        const nearDec = Math.abs(((dec + 90 + 15) % 30) - 15) < decStep / 2;
        const edge = x * x + y * y > (1 - 2 / height) ** 2;
        if ((nearRa && Math.abs(dec) < 75) || nearDec || edge) paint = grey;
      }
      rgb.set(paint, at);
    }
  }
  return encodePng(width, height, rgb);
}
