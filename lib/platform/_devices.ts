/**
 * Device numbers: their major and minor parts, in the encoding of Linux (glibc's 64-bit `dev_t`) or
 * macOS (32 bits: 8 for the major, 24 for the minor).
 *
 * @module
 */

import { linuxMakeDevice } from "./_layouts.ts";

/** A device number's two parts. */
export interface DeviceParts {
  major: number;
  minor: number;
}

/** Which encoding to use; the running OS's unless told (anything but macOS encodes as Linux does). */
export interface DeviceOptions {
  os?: typeof Deno.build.os;
}

/** The device number `mknod()` takes and `FileStat.rdev` gives, from its major and minor parts. */
export function makeDevice(parts: DeviceParts, options: DeviceOptions = {}): number {
  if ((options.os ?? Deno.build.os) === "darwin") {
    return ((parts.major & 0xff) * 2 ** 24) + (parts.minor & 0xffffff);
  }
  return linuxMakeDevice(parts.major, parts.minor);
}

/** The major and minor parts of a device number (`FileStat.rdev` or `FileStat.dev`). */
export function splitDevice(device: number, options: DeviceOptions = {}): DeviceParts {
  if ((options.os ?? Deno.build.os) === "darwin") {
    return { major: Math.floor(device / 2 ** 24) & 0xff, minor: device % 2 ** 24 };
  }
  const value = BigInt(device);
  const major = ((value >> 8n) & 0xfffn) | ((value >> 32n) & ~0xfffn);
  const minor = (value & 0xffn) | ((value >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor & 0xffffffffn) };
}
