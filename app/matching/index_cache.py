"""The trained classifier on disk, so that the CLI and a restarted server do not train again.

An entry is one ``.npz`` file (numpy arrays and a JSON header, no pickles) named by
a hash of everything the classifier was trained on: the training examples and their
labels (the intents' examples, out-of-scope examples and fragments, as written; the
entry holds them normalised too, so that a start does not normalise them again),
the model settings (C, the calibration split), what the features depend on (the
n-grams, jieba's version and every word the segmenter keeps whole, with its
frequency: the snapshot's domain dictionary, couriers and keywords — so a word
added to or removed from the lexicon gives another key) and the code that
normalises, featurizes and trains.  Any change gives another key;
an entry is written to a temporary file and renamed into place (a reader never
sees half a file), loaded with ``allow_pickle=False``, and checked before use: a
file of another format, with the wrong shapes or unreadable is ignored (the
caller trains again and replaces it).  The few most recently used entries are
kept, older ones removed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import tempfile
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np

from app import __version__
from app.matching.classifier import Classifier, Rows
from app.matching.features import Featurizer

log = logging.getLogger("shouhou")

FORMAT = 1
_PREFIX = "matcher-"


@lru_cache(maxsize=1)
def code_version() -> str:
    """The version of the code a cached model depends on (its source, numpy's and scikit-learn's versions)."""
    h = hashlib.sha256(f"format {FORMAT}; shouhou {__version__}; numpy {np.__version__}".encode())
    h.update(f"; unicode {unicodedata.unidata_version}".encode())
    for dist in ("scikit-learn", "opencc", "opencc-python-reimplemented"):
        try:
            h.update(f"; {dist} {metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:
            pass
    app_dir = Path(__file__).resolve().parent.parent
    for name in (
        "matching/classifier.py", "matching/features.py", "matching/index_cache.py", "text/normalize.py", "text/segment.py"
    ):
        h.update((app_dir / name).read_bytes())
    return h.hexdigest()


def training_key(
    examples: Sequence[str], labels: Sequence[str], featurizer: Featurizer, C: float, calibration_split: int
) -> str:
    """The cache key of a classifier trained on ``examples`` (as written) with ``labels``."""
    h = hashlib.sha256(code_version().encode())
    h.update(json.dumps([featurizer.fingerprint(), repr(float(C)), calibration_split], ensure_ascii=False).encode())
    for text, label in zip(examples, labels, strict=True):
        h.update(b"\0" + label.encode() + b"\1" + text.encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:32]


class IndexCache:
    """Trained classifiers in ``directory``, keyed by ``training_key``."""

    def __init__(self, directory: Path | str, keep: int = 4):
        self.directory = Path(directory)
        self.keep = keep

    def _path(self, key: str) -> Path:
        return self.directory / f"{_PREFIX}{key}.npz"

    def load(self, key: str, featurizer: Featurizer, labels: Sequence[str]) -> tuple[list[str], Classifier] | None:
        """The normalised training texts and the classifier stored under ``key``, or None when
        there is none or it is not usable."""
        path = self._path(key)
        try:
            with np.load(path, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except FileNotFoundError:
            return None
        except Exception as e:  # truncated, corrupt, not an npz: train again
            log.warning("ignoring unreadable cached model %s (%s)", path.name, type(e).__name__)
            return None
        try:
            found = _from_arrays(arrays, key, featurizer, labels)
        except (KeyError, ValueError, TypeError, IndexError) as e:
            log.warning("ignoring cached model %s: %s", path.name, e)
            return None
        try:
            os.utime(path)  # recently used: pruning keeps it
        except OSError:
            pass
        return found

    def save(self, key: str, texts: Sequence[str], clf: Classifier) -> None:
        """Store ``clf`` (trained on ``texts``) under ``key``; a cache that cannot be written only
        costs a retraining later."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=self.directory)
            try:
                with os.fdopen(fd, "wb") as f:
                    np.savez_compressed(f, **_to_arrays(clf, key, texts))  # 4 MB instead of 11
                os.replace(tmp, self._path(key))
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            self._prune()
        except OSError as e:
            log.warning("could not write the model cache in %s (%s)", self.directory, type(e).__name__)

    def _prune(self) -> None:
        entries = []
        for p in self.directory.glob(f"{_PREFIX}*.npz"):
            try:
                entries.append((p.stat().st_mtime, p))
            except OSError:
                continue
        for _, p in sorted(entries, reverse=True)[self.keep :]:
            p.unlink(missing_ok=True)


def _to_arrays(clf: Classifier, key: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
    names = [""] * len(clf.vocab)
    for f, j in clf.vocab.items():
        names[j] = f
    header = {
        "format": FORMAT,
        "key": key,
        "classes": clf.classes,
        "texts": list(texts),
        "vocab": names,
        "temperature": clf.temperature,
        "n_features": clf.rows.n_features,
        "trained": clf.coef_t is not None,
    }
    arrays = {
        "header": np.asarray(json.dumps(header, ensure_ascii=False)),
        "idf": np.asarray(clf.idf, dtype=np.float64),
        "indptr": np.asarray(clf.rows.indptr, dtype=np.int64),
        "indices": np.asarray(clf.rows.indices, dtype=np.int32),
        "data": np.asarray(clf.rows.data, dtype=np.float64),
    }
    if clf.coef_t is not None:
        arrays["coef_t"] = np.asarray(clf.coef_t, dtype=np.float64)
        arrays["bias"] = np.asarray(clf.bias, dtype=np.float64)
    return arrays


def _expect(ok: bool, what: str) -> None:
    if not ok:
        raise ValueError(what)


def _from_arrays(
    arrays: dict[str, np.ndarray], key: str, featurizer: Featurizer, labels: Sequence[str]
) -> tuple[list[str], Classifier]:
    header = json.loads(str(arrays["header"][()]))
    _expect(header.get("format") == FORMAT, "another format")
    _expect(header.get("key") == key, "another key")
    classes = sorted(set(labels))
    _expect(header.get("classes") == classes, "other classes")
    texts = header["texts"]
    n_texts = len(labels)
    _expect(isinstance(texts, list) and len(texts) == n_texts and all(isinstance(t, str) for t in texts), "texts")
    names = header["vocab"]
    _expect(isinstance(names, list) and all(isinstance(n, str) for n in names), "bad vocabulary")
    n_features = len(names)
    _expect(header.get("n_features") == n_features, "vocabulary size")
    temperature = float(header["temperature"])
    _expect(math.isfinite(temperature) and temperature > 0, "bad temperature")
    idf, indptr, indices, data = arrays["idf"], arrays["indptr"], arrays["indices"], arrays["data"]
    _expect(idf.dtype == np.float64 and idf.shape == (n_features,), "idf shape")
    _expect(indptr.dtype == np.int64 and indptr.shape == (n_texts + 1,), "rows shape")
    nnz = int(indptr[-1]) if len(indptr) else 0
    _expect(indptr[0] == 0 and bool(np.all(np.diff(indptr) >= 0)), "rows order")
    _expect(indices.dtype == np.int32 and indices.shape == (nnz,), "indices shape")
    _expect(data.dtype == np.float64 and data.shape == (nnz,), "data shape")
    _expect(nnz == 0 or (int(indices.min()) >= 0 and int(indices.max()) < n_features), "column out of range")
    coef_t = bias = None
    if header.get("trained"):
        coef_t, bias = arrays["coef_t"], arrays["bias"]
        _expect(coef_t.dtype == np.float64 and coef_t.shape == (n_features, len(classes)), "coefficients shape")
        _expect(bias.dtype == np.float64 and bias.shape == (len(classes),), "bias shape")
        _expect(bool(np.isfinite(coef_t).all() and np.isfinite(bias).all()), "non-finite coefficients")
        coef_t = np.ascontiguousarray(coef_t)
    else:
        _expect(len(classes) < 2, "untrained model for several classes")
    vocab = {f: j for j, f in enumerate(names)}
    _expect(len(vocab) == n_features, "duplicate features")
    rows = Rows(indptr, indices, data, n_features)
    return texts, Classifier(featurizer, classes, vocab, idf, coef_t, bias, temperature, rows)
