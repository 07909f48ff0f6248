"""Calibration: on messages the classifier never saw, a probability means what it says."""

import numpy as np

from app import PROJECT_ROOT
from app.content.files import load_content
from app.matching.classifier import Classifier
from app.matching.features import Featurizer
from app.matching.matcher import FRAGMENT
from app.matching.policy import OOS
from app.text.normalize import normalize
from app.text.segment import Segmenter


def test_held_out_confidence_matches_held_out_accuracy():
    pack, _ = load_content(PROJECT_ROOT / "intents", PROJECT_ROOT / "templates" / "replies")
    items = [(i.id, e) for i in pack.intents.values() for e in i.examples]
    items += [(OOS, e) for e in pack.out_of_scope] + [(FRAGMENT, e) for e in pack.fragments]
    train = [it for k, it in enumerate(items) if k % 4]
    held = [it for k, it in enumerate(items) if k % 4 == 0]
    clf = Classifier.train([normalize(t).text for _, t in train], [lbl for lbl, _ in train], Featurizer(Segmenter()))
    conf, correct = [], []
    for label, text in held:
        probs = clf.probabilities(normalize(text).text)
        best = max(probs, key=probs.get)
        conf.append(probs[best])
        correct.append(best == label)
    conf, correct = np.asarray(conf), np.asarray(correct, dtype=float)
    # Expected calibration error over ten bins of confidence.
    bins = np.minimum((conf * 10).astype(int), 9)
    ece = sum(abs(conf[bins == b].mean() - correct[bins == b].mean()) * (bins == b).mean() for b in range(10) if (bins == b).any())
    assert ece < 0.06, ece
    assert abs(conf.mean() - correct.mean()) < 0.05
