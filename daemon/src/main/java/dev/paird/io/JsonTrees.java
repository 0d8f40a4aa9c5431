package dev.paird.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import dev.paird.api.WipingBuffer;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;

/**
 * JSON trees read and written with Jackson's streaming parser and generator alone, giving the nodes
 * an {@code ObjectMapper} gives. A mapper reaches the same trees through its general data binding,
 * whose set-up loads some 300 classes that then stay resident in a daemon that only ever needs
 * trees. Strictness (duplicate keys, nesting, lengths) is the {@link JsonFactory}'s, as with a
 * mapper.
 */
public final class JsonTrees {
  /** The factory of an {@code ObjectMapper} that was not told otherwise. */
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private JsonTrees() {}

  /** A new, empty object node. */
  public static ObjectNode object() {
    return NODES.objectNode();
  }

  /**
   * The value at the parser's current token, or at its next one if it has none yet, as {@code
   * ObjectMapper.readTree(JsonParser)} reads it; the parser is left on the value's last token. Null
   * at the end of the input.
   */
  public static JsonNode read(JsonParser parser) throws IOException {
    JsonToken token = parser.currentToken();
    if (token == null) {
      token = parser.nextToken();
      if (token == null) {
        return null;
      }
    }
    return switch (token) {
      case START_OBJECT -> {
        ObjectNode object = NODES.objectNode();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String name = parser.currentName();
          parser.nextToken();
          object.set(name, read(parser));
        }
        yield object;
      }
      case START_ARRAY -> {
        ArrayNode array = NODES.arrayNode();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
          array.add(read(parser));
        }
        yield array;
      }
      case VALUE_STRING -> NODES.textNode(parser.getText());
      case VALUE_NUMBER_INT ->
          switch (parser.getNumberType()) {
            case INT -> NODES.numberNode(parser.getIntValue());
            case LONG -> NODES.numberNode(parser.getLongValue());
            default -> NODES.numberNode(parser.getBigIntegerValue());
          };
      case VALUE_NUMBER_FLOAT ->
          parser.getNumberType() == JsonParser.NumberType.BIG_DECIMAL
              ? NODES.numberNode(parser.getDecimalValue())
              : NODES.numberNode(parser.getDoubleValue());
      case VALUE_TRUE -> NODES.booleanNode(true);
      case VALUE_FALSE -> NODES.booleanNode(false);
      case VALUE_NULL -> NODES.nullNode();
      default ->
          throw MismatchedInputException.from(
              parser, JsonNode.class, "unexpected token " + token + " where a value starts");
    };
  }

  /**
   * The one JSON value in {@code bytes[offset, offset + length)}, as {@code readTree} of a mapper
   * with {@code FAIL_ON_TRAILING_TOKENS} reads it: a missing node if there is none, and a {@link
   * MismatchedInputException} if anything follows the value.
   */
  public static JsonNode readDocument(JsonFactory factory, byte[] bytes, int offset, int length)
      throws IOException {
    try (JsonParser parser = factory.createParser(bytes, offset, length)) {
      JsonNode value = read(parser);
      if (value == null) {
        return MissingNode.getInstance();
      }
      JsonToken after = parser.nextToken();
      if (after != null) {
        throw MismatchedInputException.from(
            parser, JsonNode.class, "trailing token " + after + " after the value");
      }
      return value;
    }
  }

  /** Writes {@code node} as {@code ObjectMapper.writeValue} would. */
  public static void write(JsonGenerator json, JsonNode node) throws IOException {
    switch (node.getNodeType()) {
      case OBJECT -> {
        json.writeStartObject();
        for (Map.Entry<String, JsonNode> field : node.properties()) {
          json.writeFieldName(field.getKey());
          write(json, field.getValue());
        }
        json.writeEndObject();
      }
      case ARRAY -> {
        json.writeStartArray();
        for (JsonNode element : node) {
          write(json, element);
        }
        json.writeEndArray();
      }
      case STRING -> json.writeString(node.textValue());
      case NUMBER -> {
        switch (node.numberType()) {
          case INT -> json.writeNumber(node.intValue());
          case LONG -> json.writeNumber(node.longValue());
          case BIG_INTEGER -> json.writeNumber(node.bigIntegerValue());
          case FLOAT -> json.writeNumber(node.floatValue());
          case BIG_DECIMAL -> json.writeNumber(node.decimalValue());
          default -> json.writeNumber(node.doubleValue());
        }
      }
      case BOOLEAN -> json.writeBoolean(node.booleanValue());
      case BINARY -> json.writeBinary(node.binaryValue());
      case NULL, MISSING -> json.writeNull();
      case POJO -> {
        if (!(((POJONode) node).getPojo() instanceof SecretText secret)) {
          throw new IllegalArgumentException("no JSON for a node of type POJO");
        }
        // An empty raw value puts the separator before it and counts as the value; what the
        // generator holds then goes out before the secret, which never passes through it.
        json.writeRawValue("");
        json.flush();
        secret.writeQuotedTo((OutputStream) json.getOutputTarget());
      }
      default ->
          throw new IllegalArgumentException("no JSON for a node of type " + node.getNodeType());
    }
  }

  /**
   * {@code node} as UTF-8 JSON bytes, as {@code ObjectMapper.writeValueAsBytes} makes them. The
   * only copy of the bytes left is the one returned: each smaller buffer they passed through is
   * wiped, since a {@link SecretText} in the tree is in them.
   */
  public static byte[] bytes(JsonFactory factory, JsonNode node) {
    WipingBuffer out = new WipingBuffer();
    try (JsonGenerator json = factory.createGenerator(out)) {
      write(json, node);
    } catch (IOException e) {
      out.wipe();
      throw new IllegalStateException("writing JSON to memory failed", e);
    }
    return out.takeBytes();
  }
}
