package dev.paird.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paird.api.ControlRequest;
import dev.paird.api.Echo;
import dev.paird.api.Printable;

/** The safe details of a state-changing command for its audit line: never a key. */
final class Audit {
  /** Hex digits of a SHA-256 fingerprint. */
  private static final int FINGERPRINT_LENGTH = 64;

  private Audit() {}

  static String describe(ControlRequest request, ObjectNode result) {
    StringBuilder out = new StringBuilder();
    if (request instanceof ControlRequest.NewKey newKey) {
      newKey.lifetime().ifPresent(ttl -> field(out, "ttl_seconds", Long.toString(ttl.toSeconds())));
    } else if (request instanceof ControlRequest.CancelKey cancel) {
      // Named once: the result's id is this one, and a failure has no result.
      field(out, "id", cancel.id());
      return out.toString();
    } else if (request instanceof ControlRequest.Pair pair) {
      field(out, "host", pair.host());
      pair.label().ifPresent(label -> field(out, "label", label));
    } else if (request instanceof ControlRequest.Remove remove) {
      // What the caller typed, which may be a prefix; the result names the whole fingerprint.
      field(out, "prefix", remove.fingerprint());
    }
    if (result != null) {
      copy(out, result, "id");
      copy(out, result, "suite");
      JsonNode peer = result.get("peer");
      if (peer == null) {
        peer = result.get("removed");
      }
      if (peer != null) {
        copy(out, peer, "fingerprint");
      }
    }
    return out.toString();
  }

  /**
   * A value of paird's own answer, whole up to a fingerprint's length, so that the audit line names
   * the same peer that {@code list-trusted} shows.
   */
  private static void copy(StringBuilder out, JsonNode node, String name) {
    JsonNode value = node.get(name);
    if (value != null && value.isTextual()) {
      out.append(' ')
          .append(name)
          .append('=')
          .append(Printable.escaped(value.textValue(), FINGERPRINT_LENGTH));
    }
  }

  /**
   * A value the caller sent: bounded, since it may be anything, not shown if it has a key's shape
   * ({@link Echo}), and quoted if it could otherwise read as more than one value.
   */
  private static void field(StringBuilder out, String name, String value) {
    out.append(' ').append(name).append('=').append(quoted(Echo.of(value)));
  }

  /**
   * {@code escaped} (printable ASCII, its backslashes doubled) as one field's value: as it is, or,
   * if it is empty or holds a space, a double quote or an equals sign, in double quotes with each
   * double quote inside escaped as {@code \x22}, so that a host such as {@code "10.0.0.7
   * result=ok"} cannot add a field of its own to the line.
   */
  static String quoted(String escaped) {
    boolean plain =
        !escaped.isEmpty() && escaped.chars().noneMatch(c -> c == ' ' || c == '"' || c == '=');
    return plain ? escaped : '"' + escaped.replace("\"", "\\x22") + '"';
  }
}
