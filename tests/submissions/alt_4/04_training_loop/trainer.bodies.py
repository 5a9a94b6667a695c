# alt_4: parts cut with np.split at cumulative sizes (empty ones filtered out); each part's gradients and loss
# weighted by its label count, then divided by the batch's tokens once at the end; the finiteness test as
# abs(x) < inf; train_epoch keeps a dict of totals; evaluate with np.average over arrays; diagnostics with einsum.
self.steps += 1
log_step = self.diagnostics and self.steps % self.log_every == 0
self.optimizer.zero_grad()
ids, labels = np.asarray(batch["input_ids"]), np.asarray(batch["labels"])
rows, k = len(labels), self.grad_accum_steps
sizes = np.full(k, rows // k) + (np.arange(k) < rows % k)   # np.array_split's sizes
cuts = np.cumsum(sizes)[:-1]
summed, loss_sum = None, 0.0
for part_ids, part_labels in zip(np.split(ids, cuts), np.split(labels, cuts)):
    if part_labels.shape[0] == 0:
        continue
    n = np.size(part_labels)
    part_loss, grad_logits = self.loss_fn(self.model.forward(part_ids), part_labels)
    scaled = [g * n for g in self.model.backward(grad_logits)]
    summed = scaled if summed is None else [a + b for a, b in zip(summed, scaled)]
    loss_sum += part_loss * n
tokens = int(np.size(labels))
grads = [g / tokens for g in summed]
loss = loss_sum / tokens
if log_step:
    unclipped = [math.sqrt(np.einsum("i,i->", g.reshape(-1), g.reshape(-1))) for g in grads]
grad_norm = self.clip_fn(grads, self.max_grad_norm)
metrics = {"step": self.steps, "loss": float(loss), "grad_norm": float(grad_norm), "lr": float(self.optimizer.lr),
           "skipped": not (abs(loss) < math.inf and abs(grad_norm) < math.inf), "tokens": tokens}
if metrics["skipped"]:
    self.skipped += 1
else:
    if log_step:
        kept = [np.array(p) for p in self.model.parameters()]
    self.optimizer.step(grads)
    self.scheduler.step()
    if log_step:
        moved = [(k - p).reshape(-1) for k, p in zip(kept, self.model.parameters())]
        with np.errstate(divide="ignore", invalid="ignore"):  # x / 0: inf, 0 / 0: nan
            metrics["grad_norms"], metrics["update_ratios"] = unclipped, [
                float(np.sqrt(np.einsum("i,i->", d, d)) / np.sqrt(np.einsum("i,i->", k.reshape(-1), k.reshape(-1))))
                for d, k in zip(moved, kept)]
return self.log(metrics)
# --- next body ---
totals = {"loss": 0.0, "lr": math.nan, "steps": 0, "skipped": 0, "tokens": 0}
for batch in tqdm(dataloader, disable=not progress):
    metrics = self.train_step(batch)
    totals["steps"] += 1
    totals["lr"] = metrics["lr"]
    if metrics["skipped"]:
        totals["skipped"] += 1
    else:
        totals["loss"] += metrics["loss"] * metrics["tokens"]
        totals["tokens"] += metrics["tokens"]
totals["loss"] = totals["loss"] / totals["tokens"] if totals["tokens"] else math.nan
return totals
# --- next body ---
values, weights = [], []
for b in dataloader:
    values.append(self.loss_fn(self.model.forward(b["input_ids"]), b["labels"])[0])
    weights.append(np.size(b["labels"]))
tokens = int(np.sum(weights))
loss = float(np.average(values, weights=weights)) if tokens else math.nan
self.log({"step": self.steps, "val_loss": loss})
return {"loss": loss, "tokens": tokens}
