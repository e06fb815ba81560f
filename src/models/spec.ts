/** What a model is: enough to rebuild it exactly (stored in the model metadata). */
export type Norm = 'batch' | 'group' | 'none';
export type Architecture = 'small-cnn' | 'scatter-cnn' | 'resnet18' | 'unet';

export interface ModelSpec {
  arch: Architecture;
  inputShape: [number, number, number]; // H, W, C
  numClasses: number;
  norm: Norm;
  /** U-Net: poolings (default 3) and first-level filters (default 16); small CNN: blocks (3) and first filters (32). */
  depth?: number;
  width?: number;
  /** Small CNN: 'flatten' (default) feeds every position to the dense layer; 'gap' averages each channel over the image first. */
  head?: 'flatten' | 'gap';
}
