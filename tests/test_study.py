"""A real Optuna study over a parametrized conv family with a parameter budget: every trial over
budget is pruned from the formula before any module exists (a TorchDispatchMode would see the
construction; a counter on __init__ proves none happens), and every accepted trial is built on
the meta device and its parameter count checked against the formula. Two worker processes share
one study through Optuna's JournalStorage (file backend)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")
torch = pytest.importorskip("torch")

from torcharc_codegen.views import space as S  # noqa: E402

SPEC = Path(__file__).parent.parent / "generated_examples" / "params" / "conv_classifier.yaml"
BUDGET = 150_000


def _model_class():
    import importlib.util

    spec = importlib.util.spec_from_file_location("_study_conv", SPEC.with_suffix(".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ConvClassifier


def _objective(cls, space, built: list):
    def objective(trial):
        values = space.suggest(trial)
        if cls.count_parameters(**values) > BUDGET:  # before anything is built
            raise optuna.TrialPruned()
        with torch.device("meta"):
            model = cls(**values)
        built.append(values)
        assert sum(p.numel() for p in model.parameters()) == cls.count_parameters(**values)
        return cls.count_flops(4, **values)  # a stand-in for the validation loss

    return objective


def test_tpe_study_prunes_over_budget_before_building(monkeypatch):
    cls = _model_class()
    constructed: list[dict] = []
    init = cls.__init__

    def counting(self, **values):
        constructed.append(values)
        init(self, **values)

    monkeypatch.setattr(cls, "__init__", counting)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0), direction="maximize")
    built: list[dict] = []
    study.optimize(_objective(cls, S.load(SPEC), built), n_trials=50)
    pruned = [t for t in study.trials if t.state == optuna.trial.TrialState.PRUNED]
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(study.trials) == 50 and pruned and complete  # the budget cuts the space
    assert constructed == built == [t.params for t in complete]  # no pruned one was built
    assert all(cls.count_parameters(**t.params) > BUDGET for t in pruned)
    assert all(cls.count_parameters(**v) <= BUDGET for v in constructed)


def _worker(path: str, n: int) -> None:
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = JournalStorage(JournalFileBackend(path))
    study = optuna.load_study(study_name="conv", storage=storage)
    study.optimize(_objective(_model_class(), S.load(SPEC), []), n_trials=n)


def test_two_workers_share_one_journal_study(tmp_path):
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    path = str(tmp_path / "journal.log")
    storage = JournalStorage(JournalFileBackend(path))
    optuna.create_study(study_name="conv", storage=storage, direction="maximize")
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_worker, args=(path, 6)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    assert [w.exitcode for w in workers] == [0, 0]
    study = optuna.load_study(study_name="conv", storage=JournalStorage(JournalFileBackend(path)))
    assert len(study.trials) == 12
    assert len({t.number for t in study.trials}) == 12  # one numbering across both workers
