from django.apps import AppConfig


class RuptLoginConfig(AppConfig):
    name = "rupt_login"
    verbose_name = "Rupt login verification"
