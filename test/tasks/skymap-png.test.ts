// The sky-map PNG: HEALPix nested indices (equal areas, parents, faces), the Mollweide inverse, and a drawn map whose
// densest pixels lie where the map's probability is.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { mollweideDirection, nestedPixel, plotSkymap } from '../../src/tasks/skymap-png.js';
import { readSkymap, writeSkymap } from '../../src/tasks/skymap-fits.js';

/** Width, height and RGB rows of a PNG, read by pngjs (a decoder that is not ours). */
function decodePng(png: Buffer): { width: number; height: number; rgb: Buffer } {
  const { width, height, data } = PNG.sync.read(png);
  const rgb = Buffer.alloc(width * height * 3);
  for (let pixel = 0; pixel < width * height; pixel += 1) data.copy(rgb, pixel * 3, pixel * 4, pixel * 4 + 3);
  return { width, height, rgb };
}

describe('sky map PNG', () => {
  test('nested pixels: equal areas, each the child of its parent, base faces where HEALPix has them', () => {
    // A fixed pseudo-random sequence (mulberry32), uniform on the sphere.
    let seed = 12345;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    };
    const counts = new Array(192).fill(0);
    for (let i = 0; i < 96_000; i += 1) {
      const [z, phi] = [random() * 2 - 1, random() * 2 * Math.PI];
      counts[nestedPixel(2, z, phi)] += 1;
      for (let order = 1; order <= 12; order += 1) assert.equal(Math.floor(nestedPixel(order, z, phi) / 4), nestedPixel(order - 1, z, phi));
    }
    // 500 expected per pixel; a wrong face or bit order piles points into some and leaves others empty.
    assert.ok(Math.min(...counts) > 400 && Math.max(...counts) < 600, `${Math.min(...counts)}..${Math.max(...counts)}`);
    assert.equal(nestedPixel(0, 0, 0.01), 4, 'the equator at RA 0: face 4');
    assert.equal(nestedPixel(0, 0.9, Math.PI / 4), 0, 'north, RA 45°: face 0');
    assert.equal(nestedPixel(0, -0.9, (5 * Math.PI) / 4), 10, 'south, RA 225°: face 10');
  });

  test('Mollweide: the middle is RA 180°, dec 0; RA grows to the left; outside the ellipse is nothing', () => {
    const middle = mollweideDirection(0, 0)!;
    assert.ok(Math.abs(middle.phi - Math.PI) < 1e-9 && Math.abs(middle.z) < 1e-9);
    assert.ok(mollweideDirection(-0.5, 0)!.phi > Math.PI, 'left of the middle: RA above 180°');
    assert.ok(Math.abs(mollweideDirection(0, 1)!.z - 1) < 1e-9, 'the top is the north pole');
    assert.equal(mollweideDirection(0.9, 0.9), undefined);
  });

  for (const basePixel of [0, 5, 9]) {
    test(`a map peaked in base pixel ${basePixel} is drawn darkest there`, () => {
      const map = readSkymap(
        writeSkymap({
          objectId: 'x',
          dateObs: '2024-01-01T00:00:00Z',
          instruments: ['H1'],
          area90: 300,
          distMean: 1,
          distStd: 1,
          basePixel,
        }),
      );
      const { width, height, rgb } = decodePng(plotSkymap(map, 360));
      assert.deepEqual([width, height], [360, 180]);
      let darkest = { at: -1, value: Infinity };
      for (let i = 0; i < width * height; i += 1) {
        const value = rgb[i * 3] + rgb[i * 3 + 1] + rgb[i * 3 + 2];
        // Grey graticule pixels are (150, 150, 150): not part of the map's colours.
        if (rgb[i * 3] === 150 && rgb[i * 3 + 1] === 150) continue;
        if (value < darkest.value) darkest = { at: i, value };
      }
      const [col, row] = [darkest.at % width, Math.floor(darkest.at / width)];
      const direction = mollweideDirection(((col + 0.5) / width) * 2 - 1, 1 - ((row + 0.5) / height) * 2)!;
      assert.equal(nestedPixel(0, direction.z, direction.phi), basePixel);
    });
  }
});
