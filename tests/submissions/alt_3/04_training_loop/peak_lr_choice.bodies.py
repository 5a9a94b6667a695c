CHOSEN_PEAK_LR = 0.03  # the largest rate at which every seed converged; within a factor 3.5 of the best
