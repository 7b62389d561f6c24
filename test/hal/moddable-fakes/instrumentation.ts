const names = ["XS Slot Heap Used", "XS Chunk Heap Used", "System Free Memory"];
const values = [40_000, 30_000, 90_000];

const Instrumentation = {
  map(name: string): number | undefined {
    const index = names.indexOf(name);
    return index < 0 ? undefined : index + 1;
  },
  get(index: number): number | undefined {
    return values[index - 1];
  },
};

export default Instrumentation;
