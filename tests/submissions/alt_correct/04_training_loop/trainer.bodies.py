# The bodies of train_step, train_epoch and evaluate, written independently of the reference; they
# fill the released cell's "# YOUR CODE HERE" stubs in order, as a student would.
self.steps += 1
diagnose = bool(self.diagnostics) and self.log_every > 0 and self.steps % self.log_every == 0
ids, labels = batch["input_ids"], batch["labels"]
n_total = int(np.size(labels))
total_loss, summed = 0.0, None
for rows in np.array_split(np.arange(len(ids)), self.grad_accum_steps):
    if rows.size == 0:  # more parts than rows: the empty ones are not run
        continue
    value, dlogits = self.loss_fn(self.model.forward(ids[rows]), labels[rows])
    share = np.size(labels[rows]) / n_total
    total_loss += share * value
    part = [share * g for g in self.model.backward(dlogits)]
    summed = part if summed is None else [np.add(a, b) for a, b in zip(summed, part)]
used_lr = float(self.optimizer.lr)
per_array = [math.sqrt(float(np.sum(np.square(g, dtype=np.float64)))) for g in summed] if diagnose else None
norm = self.clip_fn(summed, self.max_grad_norm)
ok = bool(np.isfinite(total_loss) and np.isfinite(norm))
extra = {}
if ok:
    snapshot = [np.array(p, dtype=np.float64) for p in self.model.parameters()] if diagnose else []
    self.optimizer.step(summed)
    self.scheduler.step()
    if diagnose:
        extra["grad_norms"] = per_array
        extra["update_ratios"] = []
        for p, old in zip(self.model.parameters(), snapshot):
            moved = math.sqrt(float(np.sum((np.asarray(p, dtype=np.float64) - old) ** 2)))
            size = math.sqrt(float(np.sum(old ** 2)))
            extra["update_ratios"].append(moved / size if size else (math.inf if moved else math.nan))
else:
    self.skipped += 1
return self.log(dict(step=self.steps, loss=float(total_loss), grad_norm=float(norm), lr=used_lr, skipped=not ok,
                     tokens=n_total, **extra))
# --- next body ---
results = [self.train_step(b) for b in tqdm(dataloader, disable=not progress)]
applied = [r for r in results if not r["skipped"]]
weights = [r["tokens"] for r in applied]
loss = float(np.average([r["loss"] for r in applied], weights=weights)) if applied else float("nan")
return {"loss": loss, "lr": results[-1]["lr"] if results else float("nan"), "steps": len(results),
        "skipped": len(results) - len(applied), "tokens": sum(weights)}
# --- next body ---
losses, counts = [], []
for b in dataloader:
    value, _ = self.loss_fn(self.model.forward(b["input_ids"]), b["labels"])
    losses.append(value)
    counts.append(np.size(b["labels"]))
mean = float(np.dot(losses, counts) / np.sum(counts))
self.log({"step": self.steps, "val_loss": mean})
return {"loss": mean, "tokens": int(np.sum(counts))}
