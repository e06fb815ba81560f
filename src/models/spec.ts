/** What a model is: enough to rebuild it exactly (stored in the model metadata). */
export type Norm = 'batch' | 'group' | 'none';
export type Architecture = 'small-cnn' | 'resnet18';

export interface ModelSpec {
  arch: Architecture;
  inputShape: [number, number, number]; // H, W, C
  numClasses: number;
  norm: Norm;
}
