# alt_3: micro-batches from a helper generator of row ranges (divmod sizes, stopping at the first empty part);
# gradients accumulated into zero arrays shaped like the parameters; zero_grad() after the optimizer step
# (PyTorch's other common place for it); the epoch's loss with math.fsum; evaluate as a running mean;
# diagnostics with a helper size(a) = sqrt(vdot(a, a)).
def row_ranges(rows, parts):
    size, extra = divmod(rows, parts)
    start = 0
    for index in range(parts):
        stop = start + size + (index < extra)
        if stop == start:
            return  # the parts only get smaller: every later one is empty too
        yield start, stop
        start = stop

def size(a):
    return float(np.sqrt(np.vdot(a, a)))

def relative(change, base):
    if size(base) == 0:  # an all-zero array before the step
        return math.inf if size(change) else math.nan
    return size(change) / size(base)

self.steps += 1
record = self.diagnostics and self.steps % self.log_every == 0
ids, labels = batch["input_ids"], batch["labels"]
tokens = np.size(labels)
grads = [np.zeros_like(p) for p in self.model.parameters()]
loss = 0.0
for start, stop in row_ranges(len(labels), self.grad_accum_steps):
    share = np.size(labels[start:stop]) / tokens
    part_loss, grad_logits = self.loss_fn(self.model.forward(ids[start:stop]), labels[start:stop])
    for total, g in zip(grads, self.model.backward(grad_logits)):
        total += share * g
    loss += share * part_loss
sizes = [size(g) for g in grads] if record else None
grad_norm = self.clip_fn(grads, self.max_grad_norm)
lr = self.optimizer.lr
finite = bool(np.isfinite([loss, grad_norm]).all())
result = {"step": self.steps, "loss": float(loss), "grad_norm": float(grad_norm), "lr": float(lr),
          "skipped": not finite, "tokens": int(tokens)}
if finite:
    previous = [p.copy() for p in self.model.parameters()] if record else None
    self.optimizer.step(grads)
    self.optimizer.zero_grad()
    self.scheduler.step()
    if record:
        result["grad_norms"] = sizes
        result["update_ratios"] = [relative(np.subtract(p, q), q) for p, q in zip(self.model.parameters(), previous)]
else:
    self.skipped += 1
return self.log(result)
# --- next body ---
weighted, counts, steps, skipped, lr = [], [], 0, 0, math.nan
for batch in tqdm(dataloader, disable=not progress):
    metrics = self.train_step(batch)
    steps, lr = steps + 1, metrics["lr"]
    if metrics["skipped"]:
        skipped += 1
    else:
        weighted.append(metrics["loss"] * metrics["tokens"])
        counts.append(metrics["tokens"])
tokens = sum(counts)
return {"loss": math.fsum(weighted) / tokens if tokens else math.nan, "lr": lr, "steps": steps, "skipped": skipped,
        "tokens": tokens}
# --- next body ---
mean, seen = 0.0, 0
for b in dataloader:
    n = int(np.size(b["labels"]))
    value, _ = self.loss_fn(self.model.forward(b["input_ids"]), b["labels"])
    seen += n
    mean += (value - mean) * n / seen if n else 0.0
result = {"loss": mean if seen else math.nan, "tokens": seen}
self.log({"step": self.steps, "val_loss": result["loss"]})
return result
