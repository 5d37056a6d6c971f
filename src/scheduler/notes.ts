const NONE: readonly string[] = [];

/** Reason fragments per member index; the result joins them into each cluster's reason. */
export class Notes {
  /** By member index (sparse: most members get no note). */
  private readonly byMember: (string[] | undefined)[] = [];

  add(member: number, text: string): void {
    const list = this.byMember[member];
    if (list) list.push(text);
    else this.byMember[member] = [text];
  }

  of(member: number): readonly string[] {
    return this.byMember[member] ?? NONE;
  }
}
