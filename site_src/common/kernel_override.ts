/**
 * Putting faster kernels in front of a TF.js backend's own: the mechanism ./cpu_kernels.ts and
 * ./wasm_kernels.ts share. A fast kernel may decline a case (return null); the backend's original
 * kernel then runs it, so results never depend on which cases the fast one covers.
 */
import {
  KernelConfig, KernelFunc, NamedAttrMap, TensorInfo, getKernel, registerKernel, unregisterKernel,
} from '@tensorflow/tfjs-core';

/** A faster kernel: its result, or null to hand the case to the backend's own kernel. */
export type FastKernel<Backend> =
  (inputs: Record<string, TensorInfo | undefined>, attrs: NamedAttrMap, backend: Backend) => TensorInfo | null;

/** The kernel functions registered here, to tell a registry entry that is already ours. */
const ours = new WeakSet<object>();

/** Backends whose fast kernels are switched off: every case goes to the backend's own kernel. */
const switchedOff = new Set<string>();
/** Backends with fast kernels registered. */
const FAST_BACKENDS = new Set<string>();

/**
 * Use (`on`) or bypass the fast kernels of `backendName` from the next kernel call on. A page
 * switches them off for a model that runs faster with TF.js's own (./checked_backend.ts times both).
 */
export function useFastKernels(backendName: string, on: boolean): void {
  if (on) switchedOff.delete(backendName);
  else switchedOff.add(backendName);
}

/** Whether `backendName` has fast kernels registered and switched on. */
export function fastKernelsActive(backendName: string): boolean {
  return !switchedOff.has(backendName) && FAST_BACKENDS.has(backendName);
}

/** Whether `backendName`'s registered `kernelName` is one of ours. */
export function isOverridden(kernelName: string, backendName: string): boolean {
  const kernel = getKernel(kernelName, backendName);
  return kernel !== undefined && ours.has(kernel.kernelFunc);
}

/**
 * Register each of `fast` in front of `backendName`'s kernel of the same name, keeping the
 * original's setupFunc (a backend initialised later binds what the fallback needs; one initialised
 * already has it bound in the kernel's module). Kernels the backend does not have are skipped and
 * those already replaced are left alone, so calling again is safe (and picks up kernels registered
 * since). Returns the names that are ours now.
 */
export function overrideKernels<Backend>(backendName: string, fast: Record<string, FastKernel<Backend>>): string[] {
  const names: string[] = [];
  for (const [kernelName, kernel] of Object.entries(fast)) {
    const original = getKernel(kernelName, backendName);
    if (!original) continue;
    names.push(kernelName);
    if (ours.has(original.kernelFunc)) continue;
    type Args = {inputs: Record<string, TensorInfo | undefined>; attrs: NamedAttrMap; backend: Backend};
    const kernelFunc = ((args: Args) => (switchedOff.has(backendName) ? null
      : kernel(args.inputs, args.attrs, args.backend)) ??
        original.kernelFunc(args as unknown as Parameters<KernelFunc>[0])) as unknown as KernelFunc;
    ours.add(kernelFunc);
    FAST_BACKENDS.add(backendName);
    const config: KernelConfig = {...original, kernelFunc};
    unregisterKernel(kernelName, backendName);
    registerKernel(config);
  }
  return names;
}
