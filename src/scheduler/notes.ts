/** Reason fragments per member index; the result joins them into each cluster's reason. */
export class Notes {
  private readonly byMember = new Map<number, string[]>();

  add(member: number, text: string): void {
    const list = this.byMember.get(member);
    if (list) list.push(text);
    else this.byMember.set(member, [text]);
  }

  of(member: number): readonly string[] {
    return this.byMember.get(member) ?? [];
  }
}
