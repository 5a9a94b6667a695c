# alt_2: accumulation through scaled grad_logits (backward(share * grad_logits), the numpy form of PyTorch's
# (loss / k).backward()), raw part gradients summed; never calls zero_grad; the epoch's loss as a running
# token-weighted mean; evaluate from a list of (loss, tokens) pairs. Diagnostics merged in with metrics.update().
lr = float(self.optimizer.lr)  # the rate this update uses, read before anything can change it
self.steps += 1
diagnose = self.diagnostics and not self.steps % self.log_every
n_labels = int(np.size(batch["labels"]))
loss, grads = 0.0, []
for part_ids, part_labels in zip(np.array_split(batch["input_ids"], self.grad_accum_steps),
                                 np.array_split(batch["labels"], self.grad_accum_steps)):
    if len(part_labels) == 0:
        continue  # np.array_split gives empty parts when there are fewer rows than parts
    share = np.size(part_labels) / n_labels
    part_loss, grad_logits = self.loss_fn(self.model.forward(part_ids), part_labels)
    part_grads = self.model.backward(share * grad_logits)  # linear in grad_logits: share * the part's gradients
    loss += share * part_loss
    if not grads:
        grads = [np.array(g, copy=True) for g in part_grads]
    else:
        for total, g in zip(grads, part_grads):
            np.add(total, g, out=total)
norms_before_clipping = [float(np.linalg.norm(np.ravel(g))) for g in grads] if diagnose else None
grad_norm = float(self.clip_fn(grads, self.max_grad_norm))
applied = math.isfinite(loss) and math.isfinite(grad_norm)
if applied:
    old = [np.copy(p) for p in self.model.parameters()] if diagnose else None
    self.optimizer.step(grads)
    self.scheduler.step()
else:
    self.skipped += 1
metrics = {"step": self.steps, "loss": float(loss), "grad_norm": grad_norm, "lr": lr, "skipped": not applied,
           "tokens": n_labels}
if diagnose and applied:
    metrics.update(grad_norms=norms_before_clipping,
                   update_ratios=[float(np.linalg.norm(np.ravel(p - o)) / np.linalg.norm(np.ravel(o)))
                                  for p, o in zip(self.model.parameters(), old)])
return self.log(metrics)
# --- next body ---
mean, seen, count, skipped, lr = 0.0, 0, 0, 0, math.nan
for batch in tqdm(dataloader, disable=not progress):
    metrics = self.train_step(batch)
    count += 1
    lr = metrics["lr"]
    if metrics["skipped"]:
        skipped += 1
        continue
    seen += metrics["tokens"]
    mean += (metrics["loss"] - mean) * metrics["tokens"] / seen  # running mean, weighted by tokens
return {"loss": mean if seen else math.nan, "lr": lr, "steps": count, "skipped": skipped, "tokens": seen}
# --- next body ---
pairs = [(self.loss_fn(self.model.forward(b["input_ids"]), b["labels"])[0], int(np.size(b["labels"]))) for b in dataloader]
tokens = sum(n for _, n in pairs)
loss = sum(value * n for value, n in pairs) / tokens if tokens else math.nan
self.log({"step": self.steps, "val_loss": loss})
return {"loss": loss, "tokens": tokens}
