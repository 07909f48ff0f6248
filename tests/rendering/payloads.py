"""Abusive template bodies, shared by the renderer tests and the API tests.

``ISSUE`` holds each class of attack measured in issue 8 (they froze the server for up
to 65 s or grew a value past a gigabyte); ``SSTI`` holds server-side template injection
payloads in the style of public cheat sheets for Jinja2 (written here, not copied):
reading Python internals, reaching globals, calling methods, escaping the sandbox.
"""

import re

# (name, body, a word the refusal must contain). Every body is refused before it renders.
ISSUE = [
    ("nested power", "{% set x = ((((9**32)**32)**32)**32)**32 %}{{ x > 1 }}", "算术"),
    ("repeated multiplication", "{% set a = 99999999 %}" + "{% set a = a * a %}" * 30 + "{{ a > 1 }}", "算术"),
    ("string repetition", "{{ 'x' * 4000 }}", "算术"),
    ("tilde doubling", "{% set a = buyer_name %}" + "{% set a = a ~ a %}" * 18 + "{{ a|length }}", "~"),
    ("percent formatting", "{{ '%0299999999d' % 1 }}", "算术"),
    ("power of an order number", "{% set x = (((order_id|int) ** 32) ** 32) ** 4 %}{{ x > 1 }}", "算术"),
    ("doubling a buyer name", "{% set b = buyer_name ~ buyer_name %}{% set b = b ~ b %}{{ b }}", "~"),
    ("doubling through a list", "{% set a = [buyer_name, buyer_name] %}{% set a = [a, a] %}{{ a }}", "常量"),
    ("range repr", "{{ range }}", "range"),
    ("self repr", "{{ self }}", "self"),
    ("method of a literal", "{{ ''.join }}", "常量"),
    ("huge range", "{% for i in range(10**7) %}a{% endfor %}", "调用"),
    ("set block doubling", "{% set a %}{{ buyer_name }}{{ buyer_name }}{% endset %}{{ a }}", "set"),
    ("replace amplification", "{{ buyer_name|replace('', 'xxxxx')|replace('', 'xxxxx') }}", "replace"),
    ("center padding", "{{ buyer_name|center(299999999) }}", "center"),
    ("indent padding", "{{ buyer_name|indent(299999999) }}", "indent"),
    ("wordwrap", "{{ buyer_name|wordwrap(1) }}", "wordwrap"),
    ("format filter", "{{ '%0299999999d'|format(1) }}", "format"),
    ("nested loops", "{% for a in buyer_name %}{% for b in buyer_name %}x{% endfor %}{% endfor %}", "嵌套"),
    ("deep brackets", "{{ " + "(" * 200 + "buyer_name" + ")" * 200 + " }}", "嵌套"),
]

SSTI = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ().__class__.__base__.__subclasses__() }}",
    "{% for x in ().__class__.__base__.__subclasses__() %}{{ x }}{% endfor %}",
    "{{ [].__class__.__base__ }}",
    "{{ {}.__class__ }}",
    "{{ buyer_name.__class__ }}",
    "{{ buyer_name['__class__'] }}",
    "{{ buyer_name['\\x5f\\x5fclass\\x5f\\x5f'] }}",
    "{{ buyer_name|attr('__class__') }}",
    "{{ buyer_name|attr('\\x5f\\x5fclass\\x5f\\x5f') }}",
    "{{ cycler }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner }}",
    "{{ joiner.__init__.__globals__.__builtins__ }}",
    "{{ namespace }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ lipsum }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ dict }}",
    "{{ dict(a=1) }}",
    "{{ range.__init__ }}",
    "{{ self }}",
    "{{ self._TemplateReference__context }}",
    "{{ self.__init__.__globals__ }}",
    "{{ config }}",
    "{{ config.items() }}",
    "{{ request }}",
    "{{ request.application.__globals__.__builtins__ }}",
    "{{ environment }}",
    "{{ url_for.__globals__ }}",
    "{{ __builtins__ }}",
    "{{ loop }}",
    "{% for c in buyer_name %}{{ loop }}{% endfor %}",
    "{% for c in buyer_name %}{{ loop.cycle }}{% endfor %}",
    "{% for c in buyer_name %}{{ loop.__class__ }}{% endfor %}",
    "{{ buyer_name.upper }}",
    "{{ buyer_name.upper() }}",
    "{{ buyer_name['upper'] }}",
    "{{ order_id.real }}",
    "{{ '{0.__class__}'.format(buyer_name) }}",
    "{{ '%s'|format(buyer_name.__class__) }}",
    "{{ buyer_name|map('upper')|list }}",
    "{{ buyer_name|tojson }}",
    "{{ buyer_name|pprint }}",
    "{{ kwargs }}{{ varargs }}{{ caller }}",
    "{% set x = self %}{{ x }}",
    "{% with a = self %}{{ a }}{% endwith %}",
    "{% set ns = namespace(a=1) %}{% set ns.a = 2 %}{{ ns }}",
    "{% macro m() %}{{ self }}{% endmacro %}{{ m() }}",
    "{% include '/etc/passwd' %}",
    "{% import 'os' as os %}",
    "{% extends 'base.html' %}",
    "{% filter upper %}{{ self }}{% endfilter %}",
    "{% call cycler() %}{% endcall %}",
    "{% block b %}{{ super() }}{% endblock %}",
    "{{ -buyer_name }}",
    "{{ buyer_name if buyer_name.__class__ else 1 }}",
    "{{ [1, 2]|join(self) }}",
    "{{ buyer_name|default(self) }}",
    "{{ buyer_name is sameas self }}",
]

#: What an object's repr or a leak of internals looks like in rendered text.
LEAK = re.compile(
    r"object at 0x|0x[0-9a-f]{6,}|built-in|function|method|<class|<module|TemplateReference|Undefined|"
    r"Cycler|Joiner|Namespace|__|popen|environ\(|'PATH'",
    re.IGNORECASE,
)

CHINESE = re.compile(r"[\u4e00-\u9fff]")
