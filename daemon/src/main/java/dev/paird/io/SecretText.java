package dev.paird.io;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializable;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.jsontype.TypeSerializer;
import com.fasterxml.jackson.databind.node.POJONode;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * A secret string value of a JSON tree, such as the key in a {@code new-key} answer, that no JSON
 * writer ever holds: {@link JsonTrees#write} writes it, quoted, straight into the output stream
 * under the generator, after flushing what the generator has buffered, and wipes it. Its characters
 * are printable ASCII other than {@code "} and {@code \}, so it needs no escaping.
 *
 * <p>It is written once: the tree it is in must not be written twice. Written by any other means
 * (Jackson's own serializer, as {@code JsonNode.toString()} uses), or after it was written, it
 * shows as {@value #REDACTED}; so does {@link #toString()}.
 */
public final class SecretText implements JsonSerializable {
  static final String REDACTED = "(redacted)";

  private final byte[] ascii;
  private boolean destroyed;

  private SecretText(byte[] ascii) {
    this.ascii = ascii;
  }

  /**
   * A value made of {@code ascii}, which it takes over: the array is the value's own from now on,
   * and wiped once written or {@link #destroy destroyed}.
   *
   * @throws IllegalArgumentException if a byte is not printable ASCII or is {@code "} or {@code \};
   *     the array is then wiped
   */
  public static SecretText takeAscii(byte[] ascii) {
    for (byte b : ascii) {
      if (b < 0x20 || b > 0x7e || b == '"' || b == '\\') {
        Arrays.fill(ascii, (byte) 0);
        throw new IllegalArgumentException("a secret text holds printable ASCII only");
      }
    }
    return new SecretText(ascii);
  }

  /** This value as a node of a tree. */
  public JsonNode node() {
    return new POJONode(this);
  }

  /** Writes the value as a JSON string, quotes included, to {@code out}; then wipes it. */
  void writeQuotedTo(OutputStream out) throws IOException {
    if (destroyed) {
      throw new IllegalStateException("a secret text is written once");
    }
    try {
      out.write('"');
      out.write(ascii);
      out.write('"');
    } finally {
      destroy();
    }
  }

  /** Wipes the value, written or not. */
  public void destroy() {
    Arrays.fill(ascii, (byte) 0);
    destroyed = true;
  }

  public boolean isDestroyed() {
    return destroyed;
  }

  @Override
  public void serialize(JsonGenerator gen, SerializerProvider serializers) throws IOException {
    gen.writeString(REDACTED);
  }

  @Override
  public void serializeWithType(
      JsonGenerator gen, SerializerProvider serializers, TypeSerializer typeSer)
      throws IOException {
    gen.writeString(REDACTED);
  }

  @Override
  public String toString() {
    return "SecretText[" + REDACTED + "]";
  }
}
