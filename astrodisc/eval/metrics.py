"""Metrics with the definitions written out: accuracy, macro-F1, confusion, AUROC, ARI, purity."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, adjusted_rand_score, confusion_matrix, f1_score, roc_auc_score


def classification_scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """Accuracy, macro-F1 and the confusion matrix (rows true, columns predicted, classes sorted)."""
    classes = sorted(set(y_true) | set(y_pred))
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro")),
        "classes": classes,
        "confusion": confusion_matrix(y_true, y_pred, labels=classes).tolist(),
    }


def auroc(is_positive: np.ndarray, score: np.ndarray) -> float:
    return float(roc_auc_score(is_positive.astype(int), score))


def precision_at(is_positive: np.ndarray, score: np.ndarray, k: int) -> float:
    """Share of true positives among the k highest scores."""
    return float(np.mean(is_positive[np.argsort(-score)[:k]]))


def recall_in_top(is_positive: np.ndarray, score: np.ndarray, share: float) -> float:
    """Share of the positives found in the top ``share`` of scores."""
    top = np.argsort(-score)[: max(1, int(round(share * len(score))))]
    return float(is_positive[top].sum() / max(1, is_positive.sum()))


def ari_and_purity(truth: np.ndarray, clusters: np.ndarray) -> dict:
    """Adjusted Rand index and purity (share of members in their cluster's majority truth); noise (-1)
    counts as one group of its own."""
    truth, clusters = np.asarray(truth).astype(str), np.asarray(clusters)
    majority = sum(np.unique(truth[clusters == c], return_counts=True)[1].max() for c in np.unique(clusters))
    return {"ari": float(adjusted_rand_score(truth, clusters)), "purity": float(majority / len(truth))}


def photo_z_scores(z_true: np.ndarray, z_pred: np.ndarray) -> dict:
    """Photometric-redshift quality: bias and sigma_MAD = 1.4826 MAD(dz / (1 + z)), and the outlier rate
    eta = share with |dz| / (1 + z) > 0.05 (the definitions of Hayat et al. 2021)."""
    dz = (np.asarray(z_pred) - np.asarray(z_true)) / (1 + np.asarray(z_true))
    return {
        "sigma_mad": float(1.4826 * np.median(np.abs(dz - np.median(dz)))),
        "eta": float(np.mean(np.abs(dz) > 0.05)),
        "bias": float(np.median(dz)),
        "n": int(len(dz)),
    }
