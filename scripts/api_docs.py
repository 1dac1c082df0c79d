"""Writes the Markdown API reference of the contracts (run through scripts/api-docs.sh).

Usage: api_docs.py DESCRIPTOR_SET PY_DIR OUT_DIR FILE...

DESCRIPTOR_SET is a FileDescriptorSet that protoc wrote with --include_imports and
--include_source_info; PY_DIR holds the Python classes protoc generated for
google/api/field_behavior.proto and google/api/resource.proto (so that those options parse as
themselves); FILE... are the contract files (paths as protoc saw them) to document. Writes one
page per proto package, <package>.md, and README.md (the index) into OUT_DIR. The output depends
on nothing but the input: no dates, stable order.
"""

import os
import re
import sys

SOURCE_LINK = "../../protos/"  # from docs/api/ to protos/

# descriptor.proto field numbers used in source-code-info paths.
FILE_MESSAGE, FILE_ENUM, FILE_SERVICE, FILE_SYNTAX = 4, 5, 6, 12
MSG_FIELD, MSG_NESTED, MSG_ENUM, MSG_ONEOF = 2, 3, 4, 8
ENUM_VALUE = 2
SERVICE_METHOD = 2

BEHAVIOUR_NOTES = {
    "REQUIRED": "must be set in a request; the server refuses the call without it "
    "(INVALID_ARGUMENT, usually REQUIRED_FIELD_MISSING). Inside an import row: the row is "
    "rejected without it.",
    "OUTPUT_ONLY": "set by the server; ignored when a client sends it.",
    "IMMUTABLE": "given when the resource is created and never changed afterwards.",
    "IDENTIFIER": "the resource's name: set by the server on create, names the resource in every "
    "later call.",
}


def main(argv):
    if len(argv) < 5:
        sys.stderr.write(__doc__)
        return 2
    set_path, py_dir, out_dir, files = argv[1], argv[2], argv[3], argv[4:]
    sys.path.insert(0, py_dir)
    from google.protobuf import descriptor_pb2  # noqa: E402  (after the path is set)
    from google.api import field_behavior_pb2, resource_pb2  # noqa: E402

    fds = descriptor_pb2.FileDescriptorSet()
    with open(set_path, "rb") as f:
        fds.ParseFromString(f.read())
    model = Model(fds, set(files), field_behavior_pb2, resource_pb2)
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for package in sorted(model.packages):
        path = os.path.join(out_dir, page_of(package))
        with open(path, "w", encoding="utf-8") as f:
            f.write(model.package_page(package))
        written.append(path)
    with open(os.path.join(out_dir, "README.md"), "w", encoding="utf-8") as f:
        f.write(model.index_page())
    print("%d package pages and README.md" % len(written))
    return 0


def page_of(package):
    return package + ".md"


def anchor(name):
    """The explicit anchor of a message, enum or service (its simple name, lower case)."""
    return name.replace(".", "-").lower()


# ---------------------------------------------------------------------------------------------
# Comments to Markdown


def comment_lines(text):
    """A protoc comment as lines: the one space after // removed, trailing blank lines dropped."""
    lines = [line[1:] if line.startswith(" ") else line for line in text.split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    return lines


def escape_inline(text):
    """Escapes what Markdown would read as markup, outside `code spans`."""
    parts = text.split("`")
    for i in range(0, len(parts), 2):  # even parts are outside code spans
        p = parts[i].replace("\\", "\\\\").replace("*", "\\*").replace("<", "&lt;").replace(">", "&gt;")
        p = re.sub(r"(?<![\w])_", r"\\_", p)  # a leading underscore would start emphasis
        p = re.sub(r"(^|(?<=\. ))Personal data:", "**Personal data:**", p)
        parts[i] = p
    if len(parts) % 2 == 0:  # an unmatched backtick: show it as is
        parts[-2] = parts[-2] + "\\`" + parts[-1]
        parts.pop()
    return "`".join(parts)


def comment_block(text):
    """A comment as Markdown paragraphs; indented runs (diagrams) become code blocks."""
    lines = comment_lines(text)
    out, code, in_list = [], [], False

    def flush_code():
        if code:
            out.append("```text")
            out.extend(code)
            out.append("```")
            code.clear()

    for line in lines:
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if not stripped:
            flush_code()
            in_list = False
            out.append("")
            continue
        if stripped.startswith("- ") and indent < 2:
            flush_code()
            in_list = True
            out.append(escape_inline(line))
            continue
        if indent >= 2 and not in_list:
            if not code and out and out[-1] != "":
                out.append("")
            code.append(line)
            continue
        if code:
            flush_code()
            out.append("")
        out.append(("  " if in_list and indent >= 2 else "") + escape_inline(stripped))
    flush_code()
    return "\n".join(out).strip("\n")


def comment_cell(text):
    """A comment as one table cell: paragraphs joined with <br>, pipes escaped."""
    paragraphs, current = [], []
    for line in comment_lines(text):
        if not line.strip():
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        current.append(line.strip())
    if current:
        paragraphs.append(" ".join(current))
    return "<br>".join(escape_inline(p) for p in paragraphs).replace("|", "\\|")


def first_paragraph(text):
    para = []
    for line in comment_lines(text):
        if not line.strip():
            break
        para.append(line.strip())
    return " ".join(para)


def roles_of(text):
    """The roles an RPC comment names ("Roles: a, b (note)."), or ""."""
    flat = " ".join(l.strip() for l in comment_lines(text))
    m = re.search(r"\bRoles: (.*)$", flat)
    return m.group(1).rstrip(".") if m else ""


# ---------------------------------------------------------------------------------------------
# The descriptor model


class Model:
    def __init__(self, fds, documented, field_behavior_pb2, resource_pb2):
        self.fb = field_behavior_pb2
        self.res = resource_pb2
        self.files = [f for f in fds.file if f.name in documented]
        self.packages = {}
        for f in self.files:
            self.packages.setdefault(f.package, []).append(f)
        for f in self.packages.values():
            f.sort(key=lambda x: x.name)
        # Where each fully qualified type and each resource type is documented.
        self.type_home = {}  # ".pkg.Name" -> (package, anchor)
        self.resources = {}  # "svc/Type" -> (package, message name, descriptor)
        for f in self.files:
            for m in f.message_type:
                self._index_message(f.package, m, "")
            for e in f.enum_type:
                self.type_home["." + f.package + "." + e.name] = (f.package, anchor(e.name))
        self.comments = {}
        for f in self.files:
            for loc in f.source_code_info.location:
                self.comments[(f.name, tuple(loc.path))] = loc

    def _index_message(self, package, m, prefix):
        name = prefix + m.name
        self.type_home["." + package + "." + name] = (package, anchor(name))
        if m.options.HasExtension(self.res.resource):
            r = m.options.Extensions[self.res.resource]
            self.resources[r.type] = (package, name, r)
        for n in m.nested_type:
            if not n.options.map_entry:
                self._index_message(package, n, name + ".")
        for e in m.enum_type:
            self.type_home["." + package + "." + name + "." + e.name] = (package, anchor(name + "." + e.name))

    def comment(self, f, path):
        loc = self.comments.get((f.name, tuple(path)))
        if loc is None:
            return ""
        return loc.leading_comments or loc.trailing_comments or ""

    def file_comment(self, f):
        loc = self.comments.get((f.name, (FILE_SYNTAX,)))
        if loc is None:
            return ""
        parts = list(loc.leading_detached_comments) + [loc.leading_comments]
        return "\n\n".join(p.rstrip("\n") for p in parts if p.strip())

    # Links ------------------------------------------------------------------------------------

    def type_link(self, type_name, here):
        home = self.type_home.get(type_name)
        simple = type_name.rsplit(".", 1)[-1]
        if home is None:  # google.protobuf well-known types
            return "`" + type_name.lstrip(".") + "`"
        package, a = home
        target = "#" + a if package == here else page_of(package) + "#" + a
        label = simple if package == here else type_name.lstrip(".")
        return "[%s](%s)" % (label, target)

    def resource_link(self, resource_type, here):
        home = self.resources.get(resource_type)
        if home is None:
            return "`%s`" % resource_type
        package, name, _ = home
        target = "#" + anchor(name) if package == here else page_of(package) + "#" + anchor(name)
        return "[`%s`](%s)" % (resource_type, target)

    # Fields -----------------------------------------------------------------------------------

    def field_type(self, m, fld, here):
        from google.protobuf import descriptor_pb2 as d

        F = d.FieldDescriptorProto
        if fld.type in (F.TYPE_MESSAGE, F.TYPE_ENUM):
            entry = self.map_entry(m, fld)
            if entry is not None:
                k, v = entry.field[0], entry.field[1]
                return "map&lt;%s, %s&gt;" % (self.scalar_or_link(k, here), self.scalar_or_link(v, here))
            base = self.type_link(fld.type_name, here)
        else:
            base = "`%s`" % F.Type.Name(fld.type)[len("TYPE_"):].lower()
        if fld.label == F.LABEL_REPEATED:
            return "repeated " + base
        if fld.proto3_optional:
            return "optional " + base
        return base

    def scalar_or_link(self, fld, here):
        from google.protobuf import descriptor_pb2 as d

        F = d.FieldDescriptorProto
        if fld.type in (F.TYPE_MESSAGE, F.TYPE_ENUM):
            return self.type_link(fld.type_name, here)
        return F.Type.Name(fld.type)[len("TYPE_"):].lower()

    @staticmethod
    def map_entry(m, fld):
        if not fld.type_name:
            return None
        simple = fld.type_name.rsplit(".", 1)[-1]
        for n in m.nested_type:
            if n.name == simple and n.options.map_entry:
                return n
        return None

    def behaviours(self, fld):
        if not fld.options.Extensions[self.fb.field_behavior]:
            return []
        return [self.fb.FieldBehavior.Name(b) for b in fld.options.Extensions[self.fb.field_behavior]]

    def reference(self, fld, here):
        if not fld.options.HasExtension(self.res.resource_reference):
            return ""
        ref = fld.options.Extensions[self.res.resource_reference]
        if ref.type:
            return "→ " + self.resource_link(ref.type, here)
        if ref.child_type:
            return "parent of " + self.resource_link(ref.child_type, here)
        return ""

    # Pages ------------------------------------------------------------------------------------

    def package_page(self, package):
        files = self.packages[package]
        out = []
        w = out.append
        w("# Package `%s`" % package)
        w("")
        w("<!-- Generated by scripts/api-docs.sh from the .proto files: edit those, not this page. -->")
        w("")
        w("[API reference](README.md) · source: " + ", ".join(
            "[`protos/%s`](%s%s)" % (f.name, SOURCE_LINK, f.name) for f in files))
        w("")
        for f in files:
            text = self.file_comment(f)
            if text:
                if len(files) > 1:
                    w("**`%s`**" % os.path.basename(f.name))
                    w("")
                w(comment_block(text))
                w("")
        services = [(f, i, s) for f in files for i, s in enumerate(f.service)]
        messages = [(f, i, m) for f in files for i, m in enumerate(f.message_type)]
        enums = [(f, i, e) for f in files for i, e in enumerate(f.enum_type)]
        resources = [(name, r) for t, (p, name, r) in sorted(self.resources.items()) if p == package]
        toc = []
        if services:
            toc.append("- [Services](#services): " + ", ".join(
                "[%s](#%s)" % (s.name, anchor(s.name)) for _, _, s in services))
        if resources:
            toc.append("- [Resources](#resources)")
        if messages:
            toc.append("- [Messages](#messages): " + ", ".join(
                "[%s](#%s)" % (m.name, anchor(m.name)) for _, _, m in sorted(messages, key=lambda x: x[2].name)))
        if enums:
            toc.append("- [Enums](#enums): " + ", ".join(
                "[%s](#%s)" % (e.name, anchor(e.name)) for _, _, e in sorted(enums, key=lambda x: x[2].name)))
        out.extend(toc)
        w("")
        if services:
            w("## Services")
            w("")
            for f, i, s in services:
                self.service_section(out, f, i, s, package)
        if resources:
            w("## Resources")
            w("")
            w("| Resource type | Name pattern | Message |")
            w("|---|---|---|")
            for name, r in resources:
                w("| `%s` | %s | [%s](#%s) |" % (
                    r.type, ", ".join("`%s`" % p for p in r.pattern), name, anchor(name)))
            w("")
        if messages:
            w("## Messages")
            w("")
            for f, i, m in messages:
                self.message_section(out, f, [FILE_MESSAGE, i], m, package, "")
        if enums:
            w("## Enums")
            w("")
            for f, i, e in enums:
                self.enum_section(out, f, [FILE_ENUM, i], e, package, "")
        return "\n".join(out).rstrip("\n") + "\n"

    def service_section(self, out, f, i, s, package):
        w = out.append
        self.heading(out, f, [FILE_SERVICE, i], s.name)
        w("| RPC | Request | Response | Roles |")
        w("|---|---|---|---|")
        for j, rpc in enumerate(s.method):
            roles = roles_of(self.comment(f, [FILE_SERVICE, i, SERVICE_METHOD, j]))
            w("| [%s](#%s) | %s%s | %s%s | %s |" % (
                rpc.name, anchor(s.name + "." + rpc.name),
                "stream " if rpc.client_streaming else "", self.type_link(rpc.input_type, package),
                "stream " if rpc.server_streaming else "", self.type_link(rpc.output_type, package),
                escape_inline(roles).replace("|", "\\|")))
        w("")
        for j, rpc in enumerate(s.method):
            w('<a id="%s"></a>' % anchor(s.name + "." + rpc.name))
            w("")
            w("#### %s.%s" % (s.name, rpc.name))
            w("")
            w("`rpc %s(%s%s) returns (%s%s)`" % (
                rpc.name, "stream " if rpc.client_streaming else "", rpc.input_type.rsplit(".", 1)[-1],
                "stream " if rpc.server_streaming else "", rpc.output_type.rsplit(".", 1)[-1]))
            w("")
            w("Request %s, response %s." % (self.type_link(rpc.input_type, package),
                                             self.type_link(rpc.output_type, package)))
            w("")
            text = self.comment(f, [FILE_SERVICE, i, SERVICE_METHOD, j])
            if text:
                w(comment_block(text))
                w("")

    def heading(self, out, f, path, name):
        """A section's anchor, level-3 heading and the element's comment."""
        w = out.append
        w('<a id="%s"></a>' % anchor(name))
        w("")
        w("### %s" % name)
        w("")
        text = self.comment(f, path)
        if text:
            w(comment_block(text))
            w("")

    def message_section(self, out, f, path, m, package, prefix):
        w = out.append
        name = prefix + m.name
        self.heading(out, f, path, name)
        if m.options.HasExtension(self.res.resource):
            r = m.options.Extensions[self.res.resource]
            w("Resource `%s`, name pattern %s." % (r.type, ", ".join("`%s`" % p for p in r.pattern)))
            w("")
        if m.field:
            w("| Field | No. | Type | Behaviour | Description |")
            w("|---|---|---|---|---|")
            for k, fld in enumerate(m.field):
                typ = self.field_type(m, fld, package)
                if fld.HasField("oneof_index") and not fld.proto3_optional:
                    typ += " (oneof `%s`)" % m.oneof_decl[fld.oneof_index].name
                ref = self.reference(fld, package)
                if ref:
                    typ += " " + ref
                desc = comment_cell(self.comment(f, path + [MSG_FIELD, k]))
                w("| `%s` | %d | %s | %s | %s |" % (
                    fld.name, fld.number, typ, ", ".join(self.behaviours(fld)), desc))
            w("")
        else:
            w("No fields.")
            w("")
        oneofs = [(k, o) for k, o in enumerate(m.oneof_decl)
                  if not any(fl.proto3_optional and fl.oneof_index == k for fl in m.field if fl.HasField("oneof_index"))]
        for k, o in oneofs:
            text = comment_cell(self.comment(f, path + [MSG_ONEOF, k]))
            members = ", ".join("`%s`" % fl.name for fl in m.field
                                if fl.HasField("oneof_index") and fl.oneof_index == k)
            w("Oneof `%s` (at most one of %s)%s" % (o.name, members, ": " + text if text else "."))
            w("")
        if m.reserved_range or m.reserved_name:
            numbers = ", ".join(str(r.start) if r.end == r.start + 1 else "%d to %d" % (r.start, r.end - 1)
                                for r in m.reserved_range)
            names = ", ".join("`%s`" % n for n in m.reserved_name)
            w("Reserved (removed, never to be reused): %s." % "; ".join(x for x in (numbers, names) if x))
            w("")
        for k, n in enumerate(m.nested_type):
            if not n.options.map_entry:
                self.message_section(out, f, path + [MSG_NESTED, k], n, package, name + ".")
        for k, e in enumerate(m.enum_type):
            self.enum_section(out, f, path + [MSG_ENUM, k], e, package, name + ".")

    def enum_section(self, out, f, path, e, package, prefix):
        w = out.append
        name = prefix + e.name
        self.heading(out, f, path, name)
        w("| Value | No. | Description |")
        w("|---|---|---|")
        for k, v in enumerate(e.value):
            w("| `%s` | %d | %s |" % (v.name, v.number, comment_cell(self.comment(f, path + [ENUM_VALUE, k]))))
        w("")

    def index_page(self):
        out = []
        w = out.append
        w("# API reference")
        w("")
        w("<!-- Generated by scripts/api-docs.sh from the .proto files: edit those, not this page. -->")
        w("")
        w("The typed contracts of the *Voorlichten klant* services, generated from the comments and")
        w("options of the `.proto` files in [`protos/`](../../protos) by `scripts/api-docs.sh` (the")
        w("contract check `api-docs` keeps these pages in step with the protos). One page per proto")
        w("package; every service, RPC, message, field and enum value is described there.")
        w("")
        w("## Packages")
        w("")
        w("| Package | Services | What it is |")
        w("|---|---|---|")
        for package in sorted(self.packages):
            files = self.packages[package]
            services = ", ".join("[%s](%s#%s)" % (s.name, page_of(package), anchor(s.name))
                                 for f in files for s in f.service)
            what = " ".join(first_paragraph(self.file_comment(f)) for f in files[:1])
            w("| [`%s`](%s) | %s | %s |" % (package, page_of(package), services or "(types only)",
                                            escape_inline(what).replace("|", "\\|")))
        w("")
        w("## Resources")
        w("")
        w("Resource types (`google.api.resource`) with their name patterns; fields that hold a")
        w("resource name say which type they refer to (`google.api.resource_reference`, shown as")
        w("→ in the field tables).")
        w("")
        w("| Resource type | Name pattern | Message |")
        w("|---|---|---|")
        for t, (package, name, r) in sorted(self.resources.items()):
            w("| `%s` | %s | [%s.%s](%s#%s) |" % (t, ", ".join("`%s`" % p for p in r.pattern), package, name,
                                                 page_of(package), anchor(name)))
        w("")
        w("## Reading the field tables")
        w("")
        w("The Behaviour column shows the field's `google.api.field_behavior` annotations")
        w("([AIP-203](https://google.aip.dev/203)):")
        w("")
        for b in ("REQUIRED", "OUTPUT_ONLY", "IMMUTABLE", "IDENTIFIER"):
            w("- `%s`: %s" % (b, BEHAVIOUR_NOTES[b]))
        w("")
        w("A field without a behaviour is optional in a request; its comment says what an unset")
        w("value means. Messages that are only ever responses carry no `OUTPUT_ONLY`: everything in")
        w("them is set by the server. **Personal data:** marks a field that holds personal data, with")
        w("its category from processing record M7624; the RPC comments name the roles allowed to")
        w("call (`Roles:`), and every RPC that returns personal data writes the processing log.")
        w("Errors are gRPC status codes with a reason (`google.rpc.ErrorInfo`) and, for bad input,")
        w("the field (`google.rpc.BadRequest`); the comments name the reasons a client can expect.")
        return "\n".join(out).rstrip("\n") + "\n"


if __name__ == "__main__":
    sys.exit(main(sys.argv))
