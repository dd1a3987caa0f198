/** A bar chart of the 10 class probabilities; the most likely digit is highlighted. */
export class ProbabilityChart {
  private readonly rows: {item: HTMLElement, bar: HTMLElement, value: HTMLElement}[] = [];

  constructor(private readonly list: HTMLElement, private readonly top: HTMLElement, labels: readonly string[]) {
    for (const label of labels) {
      const item = document.createElement('li');
      item.dataset.digit = label;
      const name = document.createElement('span');
      name.className = 'digit';
      name.textContent = label;
      const track = document.createElement('span');
      track.className = 'track';
      const bar = document.createElement('span');
      bar.className = 'bar';
      track.append(bar);
      const value = document.createElement('span');
      value.className = 'value';
      item.append(name, track, value);
      list.append(item);
      this.rows.push({item, bar, value});
    }
    this.reset();
  }

  /** Show `probabilities` (one per label) and return the index of the largest. */
  show(probabilities: ArrayLike<number>): number {
    let best = 0;
    for (let i = 1; i < probabilities.length; i++) if (probabilities[i] > probabilities[best]) best = i;
    this.rows.forEach((row, i) => {
      const p = probabilities[i];
      row.bar.style.width = `${(p * 100).toFixed(1)}%`;
      row.value.textContent = `${(p * 100).toFixed(1)}%`;
      row.item.dataset.probability = p.toFixed(6);
      row.item.classList.toggle('top', i === best);
    });
    this.top.textContent = this.rows[best].item.dataset.digit ?? '';
    return best;
  }

  /** No drawing: empty bars, no top prediction. */
  reset(): void {
    for (const row of this.rows) {
      row.bar.style.width = '0';
      row.value.textContent = '';
      row.item.classList.remove('top');
      delete row.item.dataset.probability;
    }
    this.top.textContent = '';
  }
}
