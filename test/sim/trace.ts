// A running hash of the simulation's event trace: two runs of one seed must end
// with the same digest (determinism). Two 32-bit FNV-1a lanes with different
// offsets give 64 bits.

export class TraceHash {
  private laneA = 0x811c9dc5;
  private laneB = 0x01000193 ^ 0x5bd1e995;
  events = 0;

  add(line: string): void {
    let a = this.laneA;
    let b = this.laneB;
    for (let i = 0; i < line.length; i++) {
      const code = line.charCodeAt(i);
      a = Math.imul(a ^ code, 0x01000193) >>> 0;
      b = Math.imul(b ^ code, 0x01000193) >>> 0;
      b = (b ^ (b >>> 15)) >>> 0;
    }
    a = Math.imul(a ^ 0x0a, 0x01000193) >>> 0;
    this.laneA = a;
    this.laneB = b;
    this.events++;
  }

  digest(): string {
    return this.laneA.toString(16).padStart(8, '0') + this.laneB.toString(16).padStart(8, '0');
  }
}
