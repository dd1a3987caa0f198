import {BRUSH_RADIUS, CANVAS_SIZE, Point, Raster, createRaster, stampSegment} from './sketchpad_preprocess';

/**
 * A drawing pad on a <canvas>: Pointer Events (mouse, pen, touch) drive both the visible
 * strokes and a deterministic raster (see preprocess.ts) that the model input is made from.
 * The canvas's drawing buffer is CANVAS_SIZE pixels square; CSS may scale it.
 */
export class DrawingPad {
  readonly raster: Raster = createRaster(CANVAS_SIZE);
  private readonly ctx: CanvasRenderingContext2D;
  private activePointer: number | null = null;
  private last: Point | null = null;
  private inkCount = 0;

  /** `radius`: the pen's radius in pixels of the CANVAS_SIZE-pixel pad. */
  constructor(private readonly canvas: HTMLCanvasElement, private readonly onChange: () => void,
    private readonly radius: number = BRUSH_RADIUS) {
    canvas.width = CANVAS_SIZE;
    canvas.height = CANVAS_SIZE;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('this browser cannot draw on a canvas');
    this.ctx = ctx;
    this.clear();
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', (e) => this.up(e));
    canvas.addEventListener('pointercancel', (e) => this.up(e));
  }

  /** True when nothing has been drawn since the last clear. */
  get empty(): boolean {
    return this.inkCount === 0;
  }

  clear(): void {
    this.raster.pixels.fill(0);
    this.inkCount = 0;
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, CANVAS_SIZE, CANVAS_SIZE);
  }

  private toCanvas(e: PointerEvent): Point {
    const rect = this.canvas.getBoundingClientRect();
    return [(e.clientX - rect.left) * CANVAS_SIZE / rect.width, (e.clientY - rect.top) * CANVAS_SIZE / rect.height];
  }

  private down(e: PointerEvent): void {
    if (this.activePointer !== null || (e.pointerType === 'mouse' && e.button !== 0)) return;
    e.preventDefault();
    this.activePointer = e.pointerId;
    this.canvas.setPointerCapture(e.pointerId);
    const p = this.toCanvas(e);
    this.last = p;
    this.segment(p, p);
    this.onChange();
  }

  private move(e: PointerEvent): void {
    if (e.pointerId !== this.activePointer || !this.last) return;
    e.preventDefault();
    // coalesced events keep fast strokes smooth on devices that batch pointer moves
    const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
    for (const ev of events.length ? events : [e]) {
      const p = this.toCanvas(ev);
      this.segment(this.last, p);
      this.last = p;
    }
    this.onChange();
  }

  private up(e: PointerEvent): void {
    if (e.pointerId !== this.activePointer) return;
    this.activePointer = null;
    this.last = null;
    this.onChange();
  }

  private segment(a: Point, b: Point): void {
    stampSegment(this.raster, a, b, this.radius);
    this.inkCount++;
    const ctx = this.ctx;
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 2 * this.radius;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(a[0], a[1]);
    ctx.lineTo(b[0], b[1]);
    ctx.stroke();
  }
}
