"""The parts of `benchmarks.recognition_fanout`, one concern each.

- `figures`: what a run is asked (`Options`), where it runs (`Stack`), what it
  measures (`Setup`, `Measured`);
- `province`: the province's calendar, councils, authorities and N products;
- `setup`: bringing the N products to the district's recognition;
- `measure`: where the time went, from the register and the cycle's history;
- `report`: the figures, printed;
- `tools`: bounded concurrency, waiting, CPU time from /proc, progress lines.
"""
