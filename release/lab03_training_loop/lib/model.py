"""A character-level language model in numpy, after Bengio et al. (2003) (provided; not student work).

The model protocol, which the Trainer relies on and every model here follows:
    parameters() -> list of arrays, updated in place by the optimizer
    forward(input_ids) -> logits
    backward(grad_logits) -> list of gradients, aligned with parameters(), for the last forward()
"""
import numpy as np


class CharMLP:
    """Predicts the next character from the previous `context` ones.

    input_ids: (B, context) integer ids -> embeddings (B, context, embed) -> concatenated (B, context*embed)
    -> tanh hidden layer (B, hidden) -> logits (B, vocab_size).
    parameters(): [E (vocab, embed), W1 (context*embed, hidden), W2 (hidden, vocab), b1 (hidden,), b2 (vocab,)]:
    the matrices, then the biases, so that AdamW groups [matrices (decayed)], [biases (not)] keep this order.
    """

    def __init__(self, vocab_size, context=8, embed=16, hidden=256, seed=0, dtype=np.float32):
        rng = np.random.default_rng(seed)
        self.context = context
        self.E = (rng.standard_normal((vocab_size, embed))).astype(dtype)
        self.W1 = (rng.standard_normal((context * embed, hidden)) / np.sqrt(context * embed)).astype(dtype)
        self.b1 = np.zeros(hidden, dtype=dtype)
        self.W2 = (rng.standard_normal((hidden, vocab_size)) * 0.1 / np.sqrt(hidden)).astype(dtype)
        self.b2 = np.zeros(vocab_size, dtype=dtype)
        self._cache = None

    def parameters(self):
        return [self.E, self.W1, self.W2, self.b1, self.b2]

    def forward(self, input_ids):
        """input_ids: (B, context) ints -> logits (B, vocab_size)."""
        input_ids = np.asarray(input_ids)
        if input_ids.ndim != 2 or input_ids.shape[1] != self.context:
            raise ValueError(f"input_ids must have shape (batch, {self.context}), got {input_ids.shape}")
        x = self.E[input_ids].reshape(len(input_ids), -1)  # (B, context*embed)
        h = np.tanh(x @ self.W1 + self.b1)                  # (B, hidden)
        self._cache = (input_ids, x, h)
        return h @ self.W2 + self.b2

    def backward(self, grad_logits):
        """grad_logits: (B, vocab_size) -> gradients aligned with parameters()."""
        if self._cache is None:
            raise RuntimeError("backward() needs a forward() first")
        input_ids, x, h = self._cache
        grad_W2, grad_b2 = h.T @ grad_logits, grad_logits.sum(axis=0)
        grad_pre = (grad_logits @ self.W2.T) * (1 - h * h)  # through tanh
        grad_W1, grad_b1 = x.T @ grad_pre, grad_pre.sum(axis=0)
        grad_x = (grad_pre @ self.W1.T).reshape(*input_ids.shape, -1)  # (B, context, embed)
        grad_E = np.zeros_like(self.E)
        np.add.at(grad_E, input_ids, grad_x)  # rows of E used several times add up
        return [grad_E, grad_W1, grad_W2, grad_b1, grad_b2]

    def sample(self, prompt_ids, length, temperature=1.0, seed=0):
        """Extend prompt_ids (at least `context` ids) by `length` sampled ids; returns the new ids only."""
        rng = np.random.default_rng(seed)
        ids = list(prompt_ids)
        for _ in range(length):
            logits = self.forward(np.array([ids[-self.context:]]))[0].astype(np.float64) / temperature
            probs = np.exp(logits - logits.max())
            ids.append(int(rng.choice(len(probs), p=probs / probs.sum())))
        return ids[len(prompt_ids):]
