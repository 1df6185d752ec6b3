export { Loader, augmentTag, defaultLoaderId } from './loader';
export type { LoaderConfig, AugmentPlacement } from './loader';
