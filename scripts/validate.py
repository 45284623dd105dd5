"""`make validate`: Rasa's own data validation, warnings included, told what it cannot see.

`rasa data validate --fail-on-warnings` would fail this project on warnings that are not
problems, because Rasa 3.6's validator only counts what a story or rule names:

* "The utterance 'utter_x' is not used in any story or rule": most responses are sent by
  custom actions (``dispatcher.utter_message(response=...)``, the ``Reply`` objects of
  ``bot/flows``), by Rasa's form action (``utter_ask_<slot>``), by Rasa's default actions
  (``utter_default``, ``utter_ask_rephrase``) or, for the FAQ retrieval intent, by
  ``action_answer_faq``.
* "The intent 'x' is not used in any story or rule": ``affirm`` and ``inform`` only answer
  form questions; the bot's own buttons send them and the validation actions read them.

This script runs exactly the checks of ``rasa data validate --fail-on-warnings`` (the same
``Validator`` methods, in the same order) and fails on every warning they raise except
those, when the thing warned about is used in one of the ways above. It is stricter in one
respect: warnings while loading the domain and data fail it too (Rasa only prints them),
except two that every project of this shape gets from Rasa 3.6 itself: the notice "Slot
auto-fill has been removed in 3.0", printed for any domain with slots, and "duplicated
intents ... across multiple domain files: faq", because Rasa adds each retrieval intent to
the domain a second time when it reads the NLU data (the domain must list it for the rules
that use it to load). What counts as "sent by
the code" is read from the source (string literals in ``actions/`` and ``bot/``), not from a
list kept by hand, so a response nobody sends any more is still reported. It also checks the
reverse, which Rasa cannot: every response name the code sends exists in the domain.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE_DIRS = ("actions", "bot")
# Retrieval intents and the custom action that answers them (instead of utter_<intent>).
RETRIEVAL_ANSWERED_BY = {"faq": "action_answer_faq"}

_UNUSED_RESPONSE = re.compile(r"The utterance '([^']+)' is not used in any story or rule\.")
_UNUSED_INTENT = re.compile(r"The intent '([^']+)' is not used in any story or rule\.")
_DUPLICATED_INTENTS = re.compile(
    r"duplicated intents have been found across multiple domain files: (.+)"
)
_RESPONSE_NAME = re.compile(r"utter_[a-z0-9_]+(/[a-z0-9_]+)?")
_PAYLOAD_INTENT = re.compile(r"^/([A-Za-z0-9_]+)")
_SLOT_AUTOFILL_NOTICE = "Slot auto-fill has been removed in 3.0"


def code_strings(dirs: Iterable[Path]) -> tuple[set[str], set[str]]:
    """String literals of the Python code, and the constant prefixes of its f-strings.

    Keys read from a mapping (``metadata.get("utter_action")``) are not names sent, so
    the first argument of a ``.get`` call is left out.
    """
    literals: set[str] = set()
    prefixes: set[str] = set()
    for directory in dirs:
        for path in sorted(directory.rglob("*.py")):
            tree = ast.parse(path.read_text(), str(path))
            lookups = {
                id(node.args[0])
                for node in ast.walk(tree)
                if isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get"
                and node.args
            }
            f_string_parts = {
                id(part)
                for node in ast.walk(tree)
                if isinstance(node, ast.JoinedStr)
                for part in node.values
            }
            skipped = lookups | f_string_parts
            for node in ast.walk(tree):
                if isinstance(node, ast.JoinedStr):
                    first = node.values[0] if node.values else None
                    if isinstance(first, ast.Constant) and isinstance(first.value, str):
                        prefixes.add(first.value)
                elif (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and id(node) not in skipped
                ):
                    literals.add(node.value)
    return literals, prefixes


class ProjectCheck:
    def __init__(self, domain: str, data: list[str], config: str, code_root: Path = ROOT) -> None:
        self.domain_path, self.data, self.config = domain, data, config
        self.literals, self.prefixes = code_strings(code_root / d for d in CODE_DIRS)
        self.problems = 0

    # -- what the validator cannot see -------------------------------------------------------

    def _sent_by_code(self, response: str) -> bool:
        if response in self.literals:
            return True
        # f"utter_flow_{outcome}_{kind}": a prefix longer than "utter_" names a family.
        return any(
            len(prefix) > len("utter_") and response.startswith(prefix)
            for prefix in self.prefixes
            if prefix.startswith("utter_")
        )

    def _response_sent_elsewhere(self, response: str) -> bool:
        domain = self.validator.domain
        asked_by_forms = {
            f"utter_ask_{slot}"
            for form in domain.form_names
            for slot in domain.required_slots_for_form(form)
        }
        intent = response[len("utter_") :]
        answered_by = RETRIEVAL_ANSWERED_BY.get(intent)
        return (
            response in asked_by_forms
            or response in self.default_action_responses
            or self._sent_by_code(response)
            or (answered_by is not None and answered_by in domain.user_actions)
        )

    def _intent_used_elsewhere(self, intent: str) -> bool:
        return intent in self.literals or intent in self.button_intents

    def _explained(self, message: str) -> bool:
        if match := _UNUSED_RESPONSE.search(message):
            return self._response_sent_elsewhere(match.group(1))
        if match := _UNUSED_INTENT.search(message):
            return self._intent_used_elsewhere(match.group(1))
        if match := _DUPLICATED_INTENTS.search(message):
            names = {n.strip() for n in match.group(1).split(",")}
            return names <= set(RETRIEVAL_ANSWERED_BY)
        return message.startswith(_SLOT_AUTOFILL_NOTICE)

    # -- running Rasa's checks -----------------------------------------------------------------

    def run(self, name: str, check: Callable[[], object]) -> object:
        """Run one of Rasa's checks; count it failed unless every warning it raised is explained."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = check()
        raised = [w for w in caught if issubclass(w.category, UserWarning)]
        unexplained = [w for w in raised if not self._explained(str(w.message))]
        for warning in unexplained:
            print(f"WARNING ({name}): {warning.message}", file=sys.stderr)
        failed = result is False and not (raised and not unexplained)
        if unexplained or failed:
            self.problems += 1
            print(f"FAILED: {name}", file=sys.stderr)
        return result

    def check_code_responses_exist(self) -> None:
        responses = set(self.validator.domain.responses)
        names = {s for s in self.literals if _RESPONSE_NAME.fullmatch(s)}
        missing = sorted(n for n in names if n not in responses)
        families = sorted(
            p
            for p in self.prefixes
            if p.startswith("utter_") and len(p) > len("utter_")
            if not any(r.startswith(p) for r in responses)
        )
        for name in missing + [f"{p}*" for p in families]:
            print(
                f"WARNING: the code sends '{name}', which is not a domain response", file=sys.stderr
            )
        if missing or families:
            self.problems += 1
            print("FAILED: responses named in the code", file=sys.stderr)

    def main(self) -> int:
        from rasa.core.actions.action import ActionBotResponse, default_actions
        from rasa.shared.importers.importer import TrainingDataImporter
        from rasa.validator import Validator

        self.default_action_responses = {
            a.utter_action for a in default_actions() if isinstance(a, ActionBotResponse)
        }
        importer = TrainingDataImporter.load_from_config(
            domain_path=self.domain_path, training_data_paths=self.data, config_path=self.config
        )
        validator = self.run("loading", lambda: Validator.from_importer(importer))
        assert isinstance(validator, Validator)
        self.validator = validator
        self.button_intents = {
            match.group(1)
            for variants in validator.domain.responses.values()
            for variant in variants
            for button in variant.get("buttons") or []
            if (match := _PAYLOAD_INTENT.match(str(button.get("payload") or "")))
        }
        # The checks of rasa.cli.utils.validate_files with fail_on_warnings=True.
        self.run("domain", validator.verify_domain_validity)
        self.run("actions in stories and rules", validator.verify_actions_in_stories_rules)
        self.run("forms in stories and rules", validator.verify_forms_in_stories_rules)
        self.run("form slots", validator.verify_form_slots)
        self.run("slot mappings", validator.verify_slot_mappings)
        self.run("intents and utterances", lambda: validator.verify_nlu(ignore_warnings=False))
        self.run("story structure", lambda: validator.verify_story_structure(ignore_warnings=False))
        self.run("config", validator.warn_if_config_mandatory_keys_are_not_set)
        self.check_code_responses_exist()
        if self.problems:
            print(f"Project validation failed: {self.problems} check(s).", file=sys.stderr)
            return 1
        print("Project validation passed (Rasa's checks, warnings included).")
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domain", default=str(ROOT / "domain"))
    parser.add_argument("--data", nargs="+", default=[str(ROOT / "data")])
    parser.add_argument("--config", default=str(ROOT / "config.yml"))
    args = parser.parse_args(argv)
    return ProjectCheck(args.domain, args.data, args.config).main()


if __name__ == "__main__":
    sys.exit(main())
