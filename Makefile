# Entry points. See README.md.
PY := .venv/bin/python

.PHONY: setup test run train shell nlu-eval bench agent

setup:            ## install everything into .venv/ (and npm packages, Chromium)
	./scripts/setup.sh

test:             ## run every test (trains a small model itself)
	./scripts/test.sh

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
