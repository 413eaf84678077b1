export class ModelsWatcher {
  constructor(
    readonly root: string,
    private readonly onChange: () => void,
    private readonly options: { debounceMs?: number } = {},
  ) {}

  async start(): Promise<void> {}

  async close(): Promise<void> {}
}
