/** The `segmentation:` section of a training config (with `task: segmentation`). */
import { z } from 'zod';

export const SegmentationSchema = z.strictObject({
  /** Class names, background first; label value c is classes[c]. */
  classes: z.array(z.string().min(1)).min(2).default(['background', 'foreground']),
  /** NIfTI: the voxel axis slices are cut along. */
  axis: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(0),
  /** Patch height and width (multiples of 2^depth); default the smallest that holds every slice. */
  patch: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional(),
  /** Neighbouring slices on each side given as extra channels (2.5-D). */
  context: z.number().int().min(0).max(3).default(0),
  /** Probability that a training draw takes a slice holding foreground. */
  foreground: z.number().min(0).max(1).default(0.5),
  /** Draws per case per epoch (must be 1 with privacy: the case is the unit DP protects). */
  repeat: z.number().int().positive().default(1),
  /** A file listing the test images; else testFraction of the cases, drawn with splitSeed. */
  testList: z.string().optional(),
  testFraction: z.number().min(0).lt(1).default(0.2),
  valFraction: z.number().gt(0).lt(1).default(0.1),
  splitSeed: z.number().int().min(0).default(7),
  loss: z.enum(['dice', 'ce', 'dice+ce']).default('dice+ce'),
  /** PNG masks stored as 0/255: values above this are class 1. */
  binaryThreshold: z.number().min(0).optional(),
  augment: z
    .strictObject({
      rotateDeg: z.number().min(0).max(180).default(10),
      scale: z.number().min(0).lt(1).default(0.1),
      translate: z.number().min(0).lt(0.5).default(0.05),
      flipRows: z.boolean().default(false),
      flipCols: z.boolean().default(false),
      contrast: z.number().min(0).lt(1).default(0.1),
      brightness: z.number().min(0).default(0.1),
    })
    .prefault({}),
});

export type SegmentationConfig = z.infer<typeof SegmentationSchema>;
