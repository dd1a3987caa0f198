/** Backend choice without TF.js imports, so it is testable under Node (see ./backend_order_test.ts). */

/**
 * The order to try backends in: `?backend=wasm` in the page URL first, then `preferred`, except
 * that software-rendered WebGL goes after WASM (unless the URL asks for it).
 */
export function backendOrder(preferred: readonly string[], requested: string | null,
    softwareWebGL: boolean): string[] {
  let order = [...preferred];
  if (softwareWebGL && order.includes('wasm') && order.indexOf('webgl') < order.indexOf('wasm')) {
    order = order.filter((b) => b !== 'webgl');
    order.splice(order.indexOf('wasm') + 1, 0, 'webgl');
  }
  return requested ? [requested, ...order.filter((b) => b !== requested)] : order;
}

