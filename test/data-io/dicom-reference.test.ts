/**
 * Every file of the shared DICOM test data against reference statistics from
 * independent decoders: stored values extracted with gdcm (gdcmconv --raw,
 * gdcmraw) and cross-checked with dcmtk (dcmdjpeg, dcmdrle, dcmdump), masked to
 * BitsStored and sign-extended, then min, max, mean and sha256 of the values
 * as little-endian int32. SC_rgb_jpeg_dcmtk.dcm uses dcmtk's RGB output
 * (dcmdjpeg converts YBR_FULL to RGB; gdcm keeps YCbCr). The 12-bit
 * JPGExtended.dcm decodes bit-exactly like dcmtk's and gdcm's IJG 12-bit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { needData } from '../helpers/data.js';
import { parseDicom } from '../../src/data/dicom/parse.js';
import { decodeDicom, decodeStoredFrames } from '../../src/data/dicom/read-dicom.js';
import { FileFormatError } from '../../src/common/errors.js';
import { sha256Int32, stats } from './hash.js';

type Ref = [string, [number, number, number, number], number, number, number, string];

const REFERENCE: Ref[] = [
  ['CT_small.dcm', [1, 128, 128, 1], 128, 2191, 904.926147, 'df61a60dfc368c1da244f035ce15d34d67c2254d5c4ec039bc09e939ac413ce1'],
  ['JPEG2000.dcm', [1, 1024, 256, 1], -30, 245, 13.458160, 'aaa27310e46c0603620ad0122bc8f89405147c0cbd29de36a1d294a23b25bcba'],
  ['JPGExtended.dcm', [1, 1024, 256, 1], 0, 264, 14.369991, '5a14dfd887a29ac84e9b77a76b38509438bd5a6fe42cbfac137b348ccdfaabca'],
  ['MR_small.dcm', [1, 64, 64, 1], 127, 2145, 518.881348, 'b8d9a6cee6ff2ea9edbe8b476e54b80cfab8c6a15aff4d431b6c38840a20f7df'],
  ['MR_small_RLE.dcm', [1, 64, 64, 1], 127, 2145, 518.881348, 'b8d9a6cee6ff2ea9edbe8b476e54b80cfab8c6a15aff4d431b6c38840a20f7df'],
  ['MR_small_implicit.dcm', [1, 64, 64, 1], 127, 2145, 518.881348, 'b8d9a6cee6ff2ea9edbe8b476e54b80cfab8c6a15aff4d431b6c38840a20f7df'],
  ['MR_small_jp2klossless.dcm', [1, 64, 64, 1], 127, 2145, 518.881348, 'b8d9a6cee6ff2ea9edbe8b476e54b80cfab8c6a15aff4d431b6c38840a20f7df'],
  ['MR_small_jpeg_ls_lossless.dcm', [1, 64, 64, 1], 127, 2145, 518.881348, 'b8d9a6cee6ff2ea9edbe8b476e54b80cfab8c6a15aff4d431b6c38840a20f7df'],
  ['SC_rgb_jpeg_dcmtk.dcm', [1, 100, 100, 3], 0, 255, 127.733333, 'e6d47441c7f336893bc954b82f8833cc5b289497a97a47668e943523028b9e99'],
  ['dicomdirtests/77654033/CR1/6154', [1, 16, 16, 1], 1994, 2802, 2523.792969, '3c310330233c1131594f935b0f92250baa6a9d65fe4ab555dfb339bb895cfa72'],
  ['dicomdirtests/77654033/CR2/6247', [1, 16, 16, 1], 1201, 1868, 1562.316406, '61109f4935573cd397a98739b88fb0a9193e8b3012ee12a69a852d80871b58b2'],
  ['dicomdirtests/77654033/CR3/6278', [1, 16, 16, 1], 2079, 2836, 2395.105469, 'aa31744218299318599090dfa13962c4ccf89b9920cae38b84fec3c0c0c63eaa'],
  ['dicomdirtests/77654033/CT2/17106', [1, 16, 16, 1], 43, 1101, 405.269531, '551f917c0f70e36822778cba1e817a8dd2b654b0b28662158c013d1f3732e170'],
  ['dicomdirtests/77654033/CT2/17136', [1, 16, 16, 1], 1101, 2384, 1571.625000, '00678fdafcce216e8a2f819718f35f8e647faca189aa1430313389937eeeea78'],
  ['dicomdirtests/77654033/CT2/17166', [1, 16, 16, 1], 2015, 2513, 2434.117188, '638713b13518c8c7a9419c3b7921c9c1677d71afd15f7160e17abf8cc41dc850'],
  ['dicomdirtests/77654033/CT2/17196', [1, 16, 16, 1], 1522, 2423, 1916.375000, 'bc6aae158e251a73da6e05fb57defdbef43c3a71b8fc4d02c5be8475b2ec0909'],
  ['dicomdirtests/98892001/CT2N/6293', [1, 16, 16, 1], 1242, 1316, 1290.488281, 'f2e85d5abc30375e1dab6c199293a3a13b3429d711a23359fd841a2e00c0bc59'],
  ['dicomdirtests/98892001/CT2N/6924', [1, 16, 16, 1], 1089, 1267, 1144.648438, '8e1d05a00258ec8b5c1a2a0cee0894cfe37e2ad439fe53ffb1f95e45c4ac7f84'],
  ['dicomdirtests/98892001/CT5N/2062', [1, 16, 16, 1], 136, 1068, 669.714844, 'd156d516cfbda2f4803632e11d5dc49c6acb4ae2208497093fd2fb344ceec390'],
  ['dicomdirtests/98892001/CT5N/2392', [1, 16, 16, 1], 165, 1109, 835.078125, 'e1e34b9038053e4719d6d30e9be67424ab941b0058b2a0683e72418239459eeb'],
  ['dicomdirtests/98892001/CT5N/2693', [1, 16, 16, 1], 358, 1099, 981.171875, '11957dd00b2fdcaac69a7cef651b5fb491b43fe83d2b8cfdeefd32a47de80058'],
  ['dicomdirtests/98892001/CT5N/3023', [1, 16, 16, 1], 873, 1074, 986.105469, 'dad257efe6c1dc62efe4d9431c6d9b5a042b2f7a3d45255d33b7bc6a2914857a'],
  ['dicomdirtests/98892001/CT5N/3353', [1, 16, 16, 1], 868, 1068, 955.273438, '189249d165533de3b941f3d3ac19ac3f99e5403247554bed412dfc07f66d3458'],
  ['dicomdirtests/98892003/MR1/15820', [1, 16, 16, 1], 224, 840, 549.726562, 'd39226889d13c43a935e4ca503a1d09c348b073e3ee1e1b2095b98969337425b'],
  ['dicomdirtests/98892003/MR1/4919', [1, 16, 16, 1], 442, 826, 715.785156, '1e3d9fc71ba6a29980a62abc6c175bb269f8362597fbd20f954d96d58ad8cce3'],
  ['dicomdirtests/98892003/MR1/5641', [1, 16, 16, 1], 280, 800, 609.933594, '369de97b8dff867ef8259374e2293941bc2a997eddd5a66ca045b506ed289e44'],
  ['dicomdirtests/98892003/MR2/15970', [1, 16, 16, 1], 79, 358, 233.714844, 'cf6f74504260e4adfadd67b9d0b1677e5f53fe4b4352f70b0c758d65c1ccceac'],
  ['dicomdirtests/98892003/MR2/4950', [1, 16, 16, 1], 405, 742, 670.695312, '6173428b5deb825832188960eaa395a0e4545f8545b86f47c4fb70f862b356bc'],
  ['dicomdirtests/98892003/MR2/4981', [1, 16, 16, 1], 509, 755, 693.910156, 'f2226c50023a6d811b1ca3fe289adccb1ada75f7963eb2512edc7cb34f472c69'],
  ['dicomdirtests/98892003/MR2/5011', [1, 16, 16, 1], 403, 846, 646.671875, '35f68a59e688634890af5016128c8ec0c474d3f6f92c9d1e7a45aaa2f5cb3275'],
  ['dicomdirtests/98892003/MR2/6273', [1, 16, 16, 1], 427, 692, 631.996094, 'e64e893652781573b139ae578223993ba16fb71e3bcdd55738418b1ffdbe9ee0'],
  ['dicomdirtests/98892003/MR2/6605', [1, 16, 16, 1], 414, 685, 583.097656, '7ac228f478a91ee80cadb00db6ebcf441994025be83a5c4b32f14f6847fbfcf4'],
  ['dicomdirtests/98892003/MR2/6935', [1, 16, 16, 1], 429, 729, 610.859375, '12e60f0997d7dacfe6dccfe374dd959268f50a0ea09e43be049ca04bddb43906'],
  ['dicomdirtests/98892003/MR700/4467', [1, 16, 16, 1], 48, 80, 61.382812, 'de8be2cae462b1a7fb3f3dfbd9a14fea5bcd5d804e41b3c029145e7053a4c125'],
  ['dicomdirtests/98892003/MR700/4528', [1, 16, 16, 1], 47, 333, 81.160156, '43d2fda10fbfc67d3820e34d9a245b5f43c79277f1a4056adab7e2727e29795a'],
  ['dicomdirtests/98892003/MR700/4558', [1, 16, 16, 1], 55, 339, 152.058594, '147ca0829ad4240d10df450a0c3e2210af40979a4a19e748e4527275f1e7f9ba'],
  ['dicomdirtests/98892003/MR700/4588', [1, 16, 16, 1], 49, 104, 63.203125, '57dc28909c1c4666784144866c3342591b46341d1fdf0dd1cccb9ca3a22589bf'],
  ['dicomdirtests/98892003/MR700/4618', [1, 16, 16, 1], 19, 81, 59.398438, '19363349664616ac6ed96515aec1a7069f4d64735a2f51e0b3515f3986759190'],
  ['dicomdirtests/98892003/MR700/4648', [1, 16, 16, 1], 0, 87, 28.214844, '8238f28f3d8c1f8e5018dc1eefddca4cea9b0c0eee5ed0d0a595542e3b2cd7b1'],
  ['dicomdirtests/98892003/MR700/4678', [1, 16, 16, 1], 0, 90, 29.851562, '40a8307dfdf5644cd4713fd90872f880bbcf2a375675acaf64f6f84b2dcd94bc'],
  ['image_dfl.dcm', [1, 512, 512, 1], 0, 255, 127.115967, '3ae25f749a71a0f30203397e76a96bee083557a1ff96a0efaa5332ce3a8563a6'],
  ['liver_1frame.dcm', [1, 512, 512, 1], 0, 1, 0.138218, '36ed5e257c356eca6de297967f3081aac0f6565ac30bbf2413e7aed44ede2089'],
];

/** Files that are DICOM but not images, and the error each must give. */
const NOT_IMAGES: [RegExp, RegExp][] = [
  [/DICOMDIR/, /no image: this is a DICOMDIR/],
  [/TINY_ALPHA\/PT000000\/ST000000\/SE000000\/IM/, /no image: Pixel Data \(7FE0,0010\) is missing/],
];

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
}

test('every shared DICOM file decodes to the reference stored values, or fails with a clear reason', async (t) => {
  const root = needData(t, 'dicom');
  if (!root) return;
  const byName = new Map(REFERENCE.map((r) => [r[0], r]));
  const files = walk(root).filter((f) => !/(LICENSE|README(\.txt)?)$/.test(f));
  assert.ok(files.length >= 90, `expected the full test set, found ${files.length} files`);
  let checked = 0;
  for (const f of files) {
    const rel = relative(root, f).split('\\').join('/');
    const ref = byName.get(rel);
    const file = parseDicom(readFileSync(f), rel);
    if (!ref) {
      const rule = NOT_IMAGES.find(([path]) => path.test(rel));
      assert.ok(rule, `${rel}: not in the reference table`);
      await assert.rejects(decodeStoredFrames(file), (e: unknown) => e instanceof FileFormatError && rule[1].test(e.message) && e.message.startsWith(rel));
      continue;
    }
    const [, [frames, rows, cols, spp], min, max, mean, sha] = ref;
    const out = await decodeStoredFrames(file);
    assert.deepEqual([out.frames.length, out.pm.rows, out.pm.cols, out.pm.samplesPerPixel], [frames, rows, cols, spp], rel);
    const values = out.frames.length === 1 ? out.frames[0]! : out.frames.flatMap((x) => [...x]);
    const s = stats(values);
    assert.equal(s.min, min, `${rel} min`);
    assert.equal(s.max, max, `${rel} max`);
    assert.ok(Math.abs(s.mean - mean) < 1e-5, `${rel} mean ${s.mean} vs ${mean}`);
    assert.equal(sha256Int32(values), sha, `${rel} checksum`);
    checked++;
  }
  assert.equal(checked, REFERENCE.length);
});

test('metadata of the reference files', async (t) => {
  const root = needData(t, 'dicom');
  if (!root) return;
  const expect: [string, string, string, string, number, number][] = [
    // file, modality, photometric, transfer syntax name, bits allocated, bits stored
    ['CT_small.dcm', 'CT', 'MONOCHROME2', 'Explicit VR Little Endian', 16, 16],
    ['MR_small_implicit.dcm', 'MR', 'MONOCHROME2', 'Implicit VR Little Endian', 16, 16],
    ['MR_small_RLE.dcm', 'MR', 'MONOCHROME2', 'RLE Lossless', 16, 16],
    ['MR_small_jpeg_ls_lossless.dcm', 'MR', 'MONOCHROME2', 'JPEG-LS Lossless', 16, 16],
    ['MR_small_jp2klossless.dcm', 'MR', 'MONOCHROME2', 'JPEG 2000 Image Compression (Lossless Only)', 16, 16],
    ['JPEG2000.dcm', 'NM', 'MONOCHROME2', 'JPEG 2000 Image Compression', 16, 16],
    ['JPGExtended.dcm', 'NM', 'MONOCHROME2', 'JPEG Extended (Process 2 & 4)', 16, 12],
    ['SC_rgb_jpeg_dcmtk.dcm', 'OT', 'YBR_FULL', 'JPEG Baseline (Process 1)', 8, 8],
    ['image_dfl.dcm', 'OT', 'MONOCHROME2', 'Deflated Explicit VR Little Endian', 8, 8],
    ['liver_1frame.dcm', 'SEG', 'MONOCHROME2', 'Explicit VR Little Endian', 1, 1],
    ['dicomdirtests/77654033/CR1/6154', 'CR', 'MONOCHROME1', 'Explicit VR Little Endian', 16, 12],
  ];
  for (const [rel, modality, photometric, tsName, ba, bs] of expect) {
    const img = await decodeDicom(readFileSync(join(root, rel)), rel);
    assert.equal(img.meta.modality, modality, rel);
    assert.equal(img.meta.photometric, photometric, rel);
    assert.equal(img.meta.transferSyntax?.name, tsName, rel);
    assert.equal(img.meta.bitsAllocated, ba, rel);
    assert.equal(img.meta.bitsStored, bs, rel);
  }
});

test('modality rescale, MONOCHROME1 inversion and colour reduction on real files', async (t) => {
  const root = needData(t, 'dicom');
  if (!root) return;
  const ct = await decodeDicom(readFileSync(join(root, 'CT_small.dcm')), 'CT_small.dcm');
  const sct = stats(ct.data);
  // RescaleIntercept -1024, slope 1: Hounsfield units
  assert.deepEqual([sct.min, sct.max], [128 - 1024, 2191 - 1024]);
  assert.ok(Math.abs(sct.mean - (904.926147 - 1024)) < 1e-3);
  assert.deepEqual(ct.meta.rescale, { slope: 1, intercept: -1024 });

  // CR, MONOCHROME1, BitsStored 12, slope 0.684, intercept 200: inverted within the modality range
  const rel = 'dicomdirtests/77654033/CR1/6154';
  const cr = await decodeDicom(readFileSync(join(root, rel)), rel);
  const lo = 200;
  const hi = 4095 * 0.684 + 200;
  const scr = stats(cr.data);
  assert.ok(Math.abs(scr.mean - (lo + hi - (2523.792969 * 0.684 + 200))) < 1e-2, `mean ${scr.mean}`);
  assert.ok(Math.abs(scr.max - (lo + hi - (1994 * 0.684 + 200))) < 1e-2);
  assert.equal(cr.meta.inverted, true);
  const plain = await decodeDicom(readFileSync(join(root, rel)), rel, { invertMonochrome1: false, rescale: false });
  assert.equal(stats(plain.data).max, 2802);

  // RGB JPEG: 3 channels, or BT.601 luma (reference: dcmtk RGB, luma mean 127.69145)
  const rgb = await decodeDicom(readFileSync(join(root, 'SC_rgb_jpeg_dcmtk.dcm')), 'sc');
  assert.equal(rgb.channels, 3);
  const grey = await decodeDicom(readFileSync(join(root, 'SC_rgb_jpeg_dcmtk.dcm')), 'sc', { greyscale: true });
  assert.equal(grey.channels, 1);
  assert.ok(Math.abs(stats(grey.data).mean - 127.69145) < 1e-3);

  // the file's VOI window maps into [0, 1]
  const mr = await decodeDicom(readFileSync(join(root, 'MR_small.dcm')), 'mr', { window: 'file' });
  const smr = stats(mr.data);
  assert.deepEqual(mr.meta.window, { center: 600, width: 1600 });
  assert.ok(smr.min >= 0 && smr.max <= 1 && smr.max === 1);
});
