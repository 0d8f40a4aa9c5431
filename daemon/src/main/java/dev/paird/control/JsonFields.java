package dev.paird.control;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.api.ControlRequest;

/** A Jackson object node as {@link ControlRequest.Fields}, for the shared request parser. */
final class JsonFields implements ControlRequest.Fields {
  private final JsonNode object;

  private JsonFields(JsonNode object) {
    this.object = object;
  }

  /**
   * {@code node} as {@link ControlRequest.Fields#get} presents a value: null for none or JSON null,
   * a String, an Integer for a whole number that fits an int, a BigInteger for a larger one, Fields
   * for an object, and the node itself for anything else.
   */
  static Object of(JsonNode node) {
    if (node == null || node.isNull()) {
      return null;
    }
    if (node.isTextual()) {
      return node.textValue();
    }
    if (node.isIntegralNumber()) {
      return node.canConvertToInt() ? node.intValue() : node.bigIntegerValue();
    }
    if (node.isObject()) {
      return new JsonFields(node);
    }
    return node;
  }

  @Override
  public Iterable<String> names() {
    return object::fieldNames;
  }

  @Override
  public Object get(String name) {
    return of(object.get(name));
  }
}
