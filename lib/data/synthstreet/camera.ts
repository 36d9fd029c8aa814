/**
 * Pinhole camera of a SynthStreet frame. World frame: X right, Y up, Z forward (metres); the
 * camera sits at (0, height, 0), looks along +Z, pitched down by `pitch` radians (negative =
 * looking up), no roll or yaw (the road itself carries the yaw).
 *
 * Camera coordinates of a world point P = (X, Y, Z), d = Y − height, θ = pitch:
 *   x_c = X,  y_c = d·cosθ + Z·sinθ,  z_c = −d·sinθ + Z·cosθ
 * Pixel coordinates (continuous, pixel centres at i + 0.5):
 *   s_x = c_x + f·x_c / z_c,  s_y = c_y − f·y_c / z_c
 */
export interface Camera {
  readonly width: number;
  readonly height: number;
  /** Focal length in pixels: f = (width / 2) / tan(hfov / 2). */
  readonly f: number;
  readonly cx: number;
  readonly cy: number;
  /** Camera height above the ground plane Y = 0 (metres). */
  readonly camHeight: number;
  readonly pitch: number;
  readonly sinP: number;
  readonly cosP: number;
}

export function makeCamera(width: number, height: number, hfovRad: number, camHeight: number, pitch: number): Camera {
  return {
    width, height,
    f: width / 2 / Math.tan(hfovRad / 2),
    cx: width / 2, cy: height / 2,
    camHeight, pitch, sinP: Math.sin(pitch), cosP: Math.cos(pitch),
  };
}

/** Image row (continuous) of the horizon: s_y = c_y − f·tanθ. */
export function horizonRow(cam: Camera): number {
  return cam.cy - cam.f * Math.tan(cam.pitch);
}

/** Camera-space depth z_c of a world point. */
export function depthOf(cam: Camera, y: number, z: number): number {
  return -(y - cam.camHeight) * cam.sinP + z * cam.cosP;
}
