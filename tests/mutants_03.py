"""Mutants of 03_gradient_clipping: see mutation.py."""
from mutation import mutant

NOTEBOOK = "03_gradient_clipping"
# Cells whose purpose is end-to-end (see mutation.py): a failure there names the mistake it matches.
END_TO_END = set()
# Cells a mutant still fails outside its concept and END_TO_END: a debt, listed so that no new one goes unnoticed.
KNOWN_LEAKS = {
    # nothing observable changes when only copies are scaled: the direction test sees unscaled gradients
    "clips_a_copy": {"test_clip_direction"},
    # it squares the caller's gradients in place: every clip test then sees changed gradients
    "squares_in_place": {"test_clip", "test_clip_below_threshold", "test_clip_direction", "test_clip_non_finite"},
}

CLIP = "    if math.isfinite(norm) and norm > max_norm:\n        factor = max_norm / (norm + 1e-6)\n        for g in gradients:\n            g *= factor\n"
SQUARES = 'float(np.einsum("i,i->", np.ravel(g), np.ravel(g), dtype=np.float64))'

MUTANTS = [
    # --- 03_gradient_clipping: the list, then a few more
    mutant("per_tensor_clipping", "03_gradient_clipping", "clip_gradients",
           [(CLIP, "    if math.isfinite(norm):\n        for g in gradients:\n            own = global_grad_norm([g])\n"
                   "            if own > max_norm:\n                g *= max_norm / (own + 1e-6)\n")],
           {"test_clip", "test_clip_direction"}, "per-tensor clipping"),
    mutant("always_scales", "03_gradient_clipping", "clip_gradients",
           [("if math.isfinite(norm) and norm > max_norm:", "if math.isfinite(norm):")],
           {"test_clip", "test_clip_below_threshold"}, "makes small gradients larger"),
    mutant("factor_inverted", "03_gradient_clipping", "clip_gradients",
           [("factor = max_norm / (norm + 1e-6)", "factor = norm / max_norm")],
           {"test_clip", "test_clip_direction"}, "factor is inverted"),
    mutant("returns_clipped_norm", "03_gradient_clipping", "clip_gradients",
           [("    return norm", "    return global_grad_norm(gradients)")],
           {"test_clip", "test_clip_returns_norm_before"}, "norm after clipping"),
    mutant("clips_a_copy", "03_gradient_clipping", "clip_gradients",
           [("        for g in gradients:\n            g *= factor", "        gradients = [g * factor for g in gradients]")],
           {"test_clip", "test_clip_in_place"}, "scaled copies"),
    mutant("float32_accumulation", "03_gradient_clipping", "global_grad_norm",
           [(", dtype=np.float64)", ")")],
           {"test_global_norm_float64"}, "overflowed float32"),
    mutant("sum_of_norms", "03_gradient_clipping", "global_grad_norm",
           [(f"    total = sum({SQUARES} for g in gradients)\n    return math.sqrt(total)",
             f"    return sum(math.sqrt({SQUARES}) for g in gradients)")],
           {"test_global_norm", "test_global_norm_all_arrays"}, "sum of the arrays' norms"),
    mutant("non_finite_scaled", "03_gradient_clipping", "clip_gradients",
           [("if math.isfinite(norm) and norm > max_norm:", "if norm > max_norm:")],
           {"test_clip_non_finite"}, "must be left untouched"),
    mutant("max_norm_unchecked", "03_gradient_clipping", "clip_gradients",
           [('    if not max_norm > 0:\n        raise ValueError(f"max_norm must be > 0, got {max_norm}")\n', "")],
           {"test_clip_bad_max_norm"}, "must be refused"),
    # --- issue 11: mistakes the contract now names
    mutant("replaces_list_entries", "03_gradient_clipping", "clip_gradients",
           [("        for g in gradients:\n            g *= factor",
             "        for i, g in enumerate(gradients):\n            gradients[i] = g * factor")],
           {"test_clip_in_place"}, "putting new arrays into the list"),
    mutant("pytorch_clamp", "03_gradient_clipping", "clip_gradients",
           [(CLIP, "    if math.isfinite(norm):\n        factor = min(1.0, max_norm / (norm + 1e-6))\n"
                   "        for g in gradients:\n            g *= factor\n")],
           {"test_clip_below_threshold"}, "within 1e-6 of max_norm"),
    mutant("root_mean_square", "03_gradient_clipping", "global_grad_norm",
           [("    return math.sqrt(total)", "    return math.sqrt(total / sum(np.size(g) for g in gradients))")],
           {"test_global_norm", "test_global_norm_all_arrays"}, "root mean square"),
    mutant("squares_in_place", "03_gradient_clipping", "global_grad_norm",
           [(f"    total = sum({SQUARES} for g in gradients)",
             "    total = sum(float(np.sum(np.square(g, out=g), dtype=np.float64)) for g in gradients)")],
           {"test_global_norm_all_arrays", "test_global_norm_float64"},  # it also squares float32 in float32 (item 3)
           "must not change the gradients"),
]
