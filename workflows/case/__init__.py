"""The parts of a product's case, one concern each; `workflows/product_lifecycle.py` joins them.

- `state`: the one state object, `LifecycleState` (what lives across rounds, and the run's own);
- `timekeeping`: business time and waiting on it (the only place the main coroutine waits);
- `recorder`: each transition written to the register, then its email sent, in order;
- `stage`: where the case stands, told to visibility and to the round's annual cycle;
- `part`: `CasePart`, what the round and the certificate's life both work with;
- `letters`: what a letter says about the case and who receives it;
- `view`: pure functions building what others read (status, snapshots, the rules' view);
- `evaluation`: the round itself: review, supplement, council sessions, recognition;
- `certificate`: the certificate's life: reminders, lapse, revocation, the next round's input.
"""
