from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "equimentor.evaluation"
    label = "evaluation"
    verbose_name = "Evaluation"
