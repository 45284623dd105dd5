# Entry points. See README.md.
PY := .venv/bin/python

.PHONY: setup test test-fast lint format types validate run train shell nlu-eval bench agent

setup:            ## install everything into .venv/ (and npm packages, Chromium)
	./scripts/setup.sh

test:             ## run every test (trains a small model itself)
	./scripts/test.sh

test-fast:        ## the tests that need no trained model and no browser, on every core (~2 min)
	./scripts/test.sh -m "not model and not browser" -n auto

lint:             ## ruff: lint rules and formatting (no changes made)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format:           ## ruff: apply the formatting and the safe fixes
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

types:            ## mypy: strict on bot/crm, bot/flows, bot/profile.py; the rest checked
	$(PY) -m mypy

# `rasa data validate` must pass as is (no errors). Its --fail-on-warnings cannot: Rasa 3.6
# counts a response or intent as used only when a story or rule names it, and here custom
# actions, forms and buttons use most of them. scripts/validate.py runs the same checks and
# fails on every warning except those, when the code, a form or a button really uses the
# name (read from the source), and checks that every response the code sends exists.
validate:         ## Rasa's own check of domain, NLU data, rules and stories, warnings included
	$(PY) -m rasa data validate --domain domain --data data --config config.yml
	$(PY) scripts/validate.py --domain domain --data data --config config.yml

run:              ## run the product on the embedded SQLite default
	$(PY) -m bot run

train:            ## train a model unless one matches the current data
	$(PY) -m bot train

shell:            ## talk to the bot in the terminal (starts the action server too)
	$(PY) -m bot shell

nlu-eval:         ## held-out NLU evaluation: report + confusion matrix in results/
	$(PY) -m bot train && $(PY) -m rasa test nlu --nlu tests/nlu/heldout.yml --model models/ --out results/nlu

bench:            ## benchmark against a bare rasa init bot (see bench/README.md)
	$(PY) -m bot bench
