/**
 * Configuration of the distracting gridworld (SCIENCE.md §6): one strength knob in [0, 1] that
 * scales every exogenous component at once, plus fine controls that override it piecewise.
 * Validation lives here so the CLI, the sweep and the tests all get the same errors, each naming
 * the CLI flag and the allowed values.
 */

/** How the agent is driven. */
export type GridworldActionMode = 'discrete' | 'continuous';

/** Discrete actions, in this order: the index is the action label. */
export const GRID_ACTIONS = ['stay', 'up', 'down', 'left', 'right'] as const;
/** Displacement (dx, dy) in units of `step` pixels for each discrete action (y grows downwards). */
export const GRID_ACTION_DELTAS: readonly (readonly [number, number])[] = [
  [0, 0],
  [0, -1],
  [0, 1],
  [-1, 0],
  [1, 0],
];

/** Every knob of the generator; `resolveGridworldConfig` fills the defaults. */
export interface GridworldConfig {
  /** Channels: 1 (grey, the `grid32` preset) or 3 (RGB, `conv64`). */
  channels: 1 | 3;
  /** Frame height and width in pixels (multiples of 16: the conv stack halves them 4 times). */
  height: number;
  width: number;
  /** Agent sprite side in pixels. */
  sprite: number;
  /** Pixels moved per discrete action, or the top speed in continuous mode. */
  step: number;
  actionMode: GridworldActionMode;
  /** Fixed interior wall blocks (drawn grey, they block the agent). */
  walls: boolean;
  /** The single exogenous strength knob in [0, 1]: 0 = no visible distractor at all. */
  strength: number;
  /** Number of distractor objects (their visibility scales with strength). */
  objects: number;
  /** Distractor side in pixels. */
  objectSize: number;
  /** Std of each distractor's per-step random-walk innovation, pixels. */
  objectSpeed: number;
  /** Distractor opacity at strength 1, in [0, 1]. */
  objectOpacity: number;
  /** Background texture amplitude at strength 1, in [0, 1]. */
  texture: number;
  /** Std of the texture's per-step drift innovation, pixels. */
  textureDrift: number;
  /** Global brightness flicker amplitude at strength 1, in [0, 1]. */
  flicker: number;
  /** AR(1) coefficient of the flicker, in [0, 1). */
  flickerRho: number;
  /** Std of the camera's per-step shift innovation in pixels (0 = camera fixed). */
  camera: number;
  /** World seed: the texture, wall layout and colours (not the per-sample draws). */
  seed: number;
}

/** Defaults per frame size: the 32×32 grey world of `grid32` and the 64×64 RGB world of `conv64`. */
export function defaultGridworldConfig(preset: 'grid32' | 'conv64' = 'grid32'): GridworldConfig {
  const small = preset === 'grid32';
  return {
    channels: small ? 1 : 3,
    height: small ? 32 : 64,
    width: small ? 32 : 64,
    sprite: small ? 6 : 8,
    step: small ? 6 : 8,
    actionMode: 'discrete',
    walls: false,
    strength: 0.5,
    objects: 3,
    objectSize: small ? 6 : 10,
    objectSpeed: small ? 2 : 3,
    objectOpacity: 0.8,
    texture: 0.35,
    textureDrift: small ? 1.5 : 2.5,
    flicker: 0.25,
    flickerRho: 0.8,
    camera: 0,
    seed: 0,
  };
}

/** The CLI flag that sets each knob (used in error messages). */
const FLAG: Record<keyof GridworldConfig, string> = {
  channels: '--channels',
  height: '--frame',
  width: '--frame',
  sprite: '--sprite',
  step: '--step',
  actionMode: '--action-mode',
  walls: '--walls',
  strength: '--distractors',
  objects: '--objects',
  objectSize: '--object-size',
  objectSpeed: '--object-speed',
  objectOpacity: '--object-opacity',
  texture: '--texture',
  textureDrift: '--texture-drift',
  flicker: '--flicker',
  flickerRho: '--flicker-rho',
  camera: '--camera',
  seed: '--seed',
};

function bad(key: keyof GridworldConfig, allowed: string, got: unknown): never {
  throw new RangeError(`gridworld: ${key} (${FLAG[key]}) must be ${allowed}, got ${String(got)}`);
}

function checkRange(c: GridworldConfig, key: keyof GridworldConfig, lo: number, hi: number, opts: { integer?: boolean; hiOpen?: boolean } = {}): void {
  const v = c[key] as unknown;
  const hiTxt = opts.hiOpen ? `${hi})` : `${hi}]`;
  const allowed = `${opts.integer ? 'an integer' : 'a number'} in [${lo}, ${hiTxt}`;
  if (typeof v !== 'number' || !Number.isFinite(v)) bad(key, allowed, v);
  if (opts.integer && !Number.isInteger(v)) bad(key, allowed, v);
  if (v < lo || (opts.hiOpen ? v >= hi : v > hi)) bad(key, allowed, v);
}

/**
 * Fills defaults (from the preset matching the frame size) and validates every knob.
 * Throws a RangeError naming the knob, its CLI flag, the allowed values and the value seen.
 */
export function resolveGridworldConfig(partial: Partial<GridworldConfig> = {}, preset: 'grid32' | 'conv64' = 'grid32'): GridworldConfig {
  const c: GridworldConfig = { ...defaultGridworldConfig(preset), ...stripUndefined(partial) };
  if (c.channels !== 1 && c.channels !== 3) bad('channels', '1 or 3', c.channels);
  for (const k of ['height', 'width'] as const) {
    const v = c[k];
    if (!Number.isInteger(v) || v < 16 || v % 16 !== 0)
      bad(k, 'a multiple of 16 (the conv stack halves the frame 4 times): 16, 32, 48, 64, …', v);
  }
  checkRange(c, 'sprite', 1, Math.min(c.height, c.width), { integer: true });
  if (c.sprite >= Math.min(c.height, c.width))
    bad('sprite', `smaller than the frame (${c.height}×${c.width}): 1 … ${Math.min(c.height, c.width) - 1}`, c.sprite);
  checkRange(c, 'step', 1, Math.min(c.height, c.width) - c.sprite, { integer: c.actionMode === 'discrete' });
  if (c.actionMode !== 'discrete' && c.actionMode !== 'continuous') bad('actionMode', "'discrete' or 'continuous'", c.actionMode);
  if (typeof c.walls !== 'boolean') bad('walls', 'true or false', c.walls);
  checkRange(c, 'strength', 0, 1);
  checkRange(c, 'objects', 0, 32, { integer: true });
  checkRange(c, 'objectSize', 1, Math.min(c.height, c.width) - 1, { integer: true });
  checkRange(c, 'objectSpeed', 0, c.width);
  checkRange(c, 'objectOpacity', 0, 1);
  checkRange(c, 'texture', 0, 1);
  checkRange(c, 'textureDrift', 0, c.width);
  checkRange(c, 'flicker', 0, 1);
  checkRange(c, 'flickerRho', 0, 1, { hiOpen: true });
  checkRange(c, 'camera', 0, c.width);
  if (!Number.isFinite(c.seed)) bad('seed', 'a finite number', c.seed);
  return c;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
