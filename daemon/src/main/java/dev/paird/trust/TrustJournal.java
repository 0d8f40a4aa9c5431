package dev.paird.trust;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.api.PairdException;
import dev.paird.io.AtomicFiles;
import dev.paird.io.JsonTrees;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * The changes made to the trusted list since {@code trusted.json} was last written, in {@value
 * #NAME} beside it: an append-only file, fsynced after every line, so that a change costs one short
 * line instead of a rewrite of the whole list.
 *
 * <p>Format, UTF-8, one JSON object a line, each line prefixed by the CRC32C of its JSON (8
 * lowercase hex digits) and a space:
 *
 * <pre>{@code
 * 1c2d3e4f {"journal":1,"base":"<CRC32C-LENGTH of the trusted.json it follows, or null if none>"}
 * 5a6b7c8d {"put":{<a peer, exactly as in trusted.json>}}
 * 9e0f1a2b {"remove":"<fingerprint>"}
 * }</pre>
 *
 * <p>Every change sets or deletes one peer's whole record, so replaying a line twice is harmless: a
 * crash after the list was compacted into {@code trusted.json} but before this file was emptied
 * loses nothing and adds nothing. The first line names the {@code trusted.json} the changes follow,
 * so that a journal left by a crash is not replayed over a list another program (an older paird,
 * which ignores this file) has changed since.
 *
 * <p>A line is written whole or, after a crash, cut short: a last line without its newline or with
 * a wrong checksum was never acknowledged and is dropped (and cut off the file before the next
 * change). A bad line followed by others is damage, not a crash, and is refused.
 */
final class TrustJournal implements AutoCloseable {
  static final String NAME = "trusted.journal";
  static final int VERSION = 1;

  /**
   * The longest line written or read: a peer's record, mostly its certificate in PEM. TLS bounds
   * the certificate (BoringSSL takes a Certificate message of at most 100 KiB, some 140 KB as a
   * record), but not what JSON makes of its subject: a character below U+0020 takes six bytes, so a
   * record can exceed this, and such a peer is refused before either device trusts the other
   * ({@link TrustStore#reserveRoomFor}).
   */
  static final int MAX_LINE_BYTES = 256 * 1024;

  private static final Pattern FINGERPRINT = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern CHECKSUM = Pattern.compile("[0-9a-f]{8}");
  private static final Pattern BASE = Pattern.compile("[0-9a-f]{8}-[0-9]{1,10}");

  /** One change to the list. */
  sealed interface Change permits Put, Remove {}

  /** Trusts the peer, or replaces its record. */
  record Put(TrustedPeer peer) implements Change {}

  /** Stops trusting the peer with this fingerprint, if it is trusted. */
  record Remove(String fingerprint) implements Change {}

  /**
   * What a journal file holds.
   *
   * @param base the CRC32C and length of the {@code trusted.json} its changes follow, empty if they
   *     follow none; also empty for an empty journal
   * @param changes the changes of its whole lines, in order
   * @param length how many of its bytes are whole lines, to be kept
   * @param torn whether it ends in a line cut short by a crash, past {@code length}
   */
  record Contents(Optional<String> base, List<Change> changes, int length, boolean torn) {
    static final Contents EMPTY = new Contents(Optional.empty(), List.of(), 0, false);
  }

  private final Path file;
  private FileChannel channel;
  private long length;
  private int changes;

  private TrustJournal(Path file, long length, int changes) {
    this.file = file;
    this.length = length;
    this.changes = changes;
  }

  /**
   * Opens the journal {@code file} for appending, as {@link #parse} found it: cuts off a torn last
   * line first, durably, so that the next change starts on a line of its own.
   */
  static TrustJournal open(Path file, Contents contents) throws IOException {
    TrustJournal journal = new TrustJournal(file, contents.length(), contents.changes().size());
    if (contents.torn()) {
      journal.truncate(contents.length());
    }
    return journal;
  }

  /** The file, for messages. */
  Path file() {
    return file;
  }

  /** Bytes of whole lines in the file. */
  long length() {
    return length;
  }

  /** Changes in the file. */
  int changes() {
    return changes;
  }

  /**
   * Appends {@code line}, made by {@link #line}, and waits until it is on disk. Starts an empty
   * journal with its first line, naming {@code base}. If writing fails, cuts the file back to what
   * it held, so that the change is not replayed; if even that fails, the exception carries that
   * failure as a suppressed one.
   */
  void append(byte[] line, Optional<String> base) throws IOException {
    byte[] bytes = length == 0 ? concat(header(base), line) : line;
    FileChannel out = channel();
    long before = length;
    try {
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      long at = before;
      while (buffer.hasRemaining()) {
        at += out.write(buffer, at);
      }
      out.force(false);
    } catch (IOException e) {
      try {
        truncate(before);
      } catch (IOException undo) {
        e.addSuppressed(undo);
      }
      throw e;
    }
    length = before + bytes.length;
    changes++;
  }

  /** Cuts the file to {@code size} bytes and waits until that is on disk: to undo, or to empty. */
  void truncate(long size) throws IOException {
    FileChannel out = channel();
    out.truncate(size);
    out.force(false);
    length = size;
    if (size == 0) {
      changes = 0;
    }
  }

  @Override
  public void close() throws IOException {
    if (channel != null) {
      channel.close();
      channel = null;
    }
  }

  private FileChannel channel() throws IOException {
    if (channel == null || !channel.isOpen()) {
      boolean created = !Files.exists(file, LinkOption.NOFOLLOW_LINKS);
      channel =
          FileChannel.open(
              file,
              Set.of(
                  StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
              PosixFilePermissions.asFileAttribute(AtomicFiles.PRIVATE));
      // The umask may have narrowed the mode, and a restored file may have another: the records
      // are the list's, 0600 as trusted.json.
      Files.setPosixFilePermissions(file, AtomicFiles.PRIVATE);
      if (created) {
        // The new name must survive a power cut too.
        AtomicFiles.fsyncDirectory(file.toAbsolutePath().getParent());
      }
    }
    return channel;
  }

  /** A line of the journal: checksum, space, JSON, newline. */
  static byte[] line(Change change) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(2048);
    try (JsonGenerator json = TrustFiles.json().createGenerator(out, JsonEncoding.UTF8)) {
      json.writeStartObject();
      if (change instanceof Put put) {
        json.writeFieldName("put");
        TrustFiles.writePeer(json, put.peer());
      } else {
        json.writeStringField("remove", ((Remove) change).fingerprint());
      }
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("writing JSON to memory failed", e);
    }
    return framed(out.toByteArray());
  }

  private static byte[] header(Optional<String> base) {
    String json =
        "{\"journal\":"
            + VERSION
            + ",\"base\":"
            + base.map(b -> '"' + b + '"').orElse("null")
            + "}";
    return framed(json.getBytes(StandardCharsets.US_ASCII));
  }

  private static byte[] framed(byte[] json) {
    byte[] line = new byte[9 + json.length + 1];
    byte[] crc = checksum(json, 0, json.length).getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(crc, 0, line, 0, crc.length);
    line[8] = ' ';
    System.arraycopy(json, 0, line, 9, json.length);
    line[line.length - 1] = '\n';
    return line;
  }

  private static String checksum(byte[] bytes, int from, int to) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, from, to - from);
    // Eight lowercase hex digits, without a Formatter: this runs for every change.
    return HexFormat.of().toHexDigits((int) crc.getValue());
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /**
   * Reads a journal's bytes.
   *
   * @throws PairdException {@link dev.paird.api.ErrorCode#STATE_INVALID} naming the file and the
   *     line if a line other than the last is damaged, or a whole line is not one paird writes
   */
  static Contents parse(Path file, byte[] bytes) throws PairdException {
    List<Change> changes = new ArrayList<>();
    Optional<String> base = Optional.empty();
    int at = 0;
    int number = 0;
    while (at < bytes.length) {
      number++;
      int end = newline(bytes, at);
      if ((end < 0 ? bytes.length : end) - at > MAX_LINE_BYTES) {
        // Longer than paird writes a line, cut short or whole, last or not: damage, not a crash.
        throw damaged(file, "line " + number + " is longer than " + MAX_LINE_BYTES + " bytes");
      }
      if (end < 0) {
        // A last line without its newline: a write a crash cut short.
        return new Contents(base, List.copyOf(changes), at, true);
      }
      if (end - at < 10
          || bytes[at + 8] != ' '
          || !CHECKSUM.matcher(new String(bytes, at, 8, StandardCharsets.US_ASCII)).matches()
          || !checksum(bytes, at + 9, end)
              .equals(new String(bytes, at, 8, StandardCharsets.US_ASCII))) {
        if (end == bytes.length - 1) {
          // The last line, damaged: a write a crash cut short, never acknowledged.
          return new Contents(base, List.copyOf(changes), at, true);
        }
        throw damaged(
            file, "line " + number + " is damaged (its checksum does not match) and more follow");
      }
      JsonNode node;
      try {
        node = JsonTrees.readDocument(TrustFiles.json(), bytes, at + 9, end - at - 9);
      } catch (JsonProcessingException e) {
        throw damaged(file, "line " + number + " is not a JSON object paird writes");
      } catch (IOException e) {
        throw damaged(file, "line " + number + " cannot be parsed");
      }
      String where = "line " + number;
      if (number == 1) {
        base = header(file, node, where);
      } else {
        changes.add(change(file, node, where));
      }
      at = end + 1;
    }
    return new Contents(base, List.copyOf(changes), at, false);
  }

  private static Optional<String> header(Path file, JsonNode node, String where)
      throws PairdException {
    if (node == null || !node.isObject() || node.size() != 2 || !node.has("journal")) {
      throw damaged(file, where + " is not the journal's first line");
    }
    JsonNode version = node.get("journal");
    if (!version.isIntegralNumber()
        || !version.canConvertToInt()
        || version.intValue() != VERSION) {
      throw TrustFiles.unknownVersion(
          file,
          version,
          VERSION,
          "Run that paird instead, and stop it cleanly: a clean stop writes every change into "
              + TrustFiles.JSON_NAME
              + " and leaves this file empty.");
    }
    JsonNode base = node.get("base");
    if (base == null) {
      throw damaged(file, where + " has no \"base\"");
    }
    if (base.isNull()) {
      return Optional.empty();
    }
    if (!base.isTextual() || !BASE.matcher(base.textValue()).matches()) {
      throw damaged(file, where + ": \"base\" is not a checksum and length");
    }
    return Optional.of(base.textValue());
  }

  private static Change change(Path file, JsonNode node, String where) throws PairdException {
    if (node == null || !node.isObject() || node.size() != 1) {
      throw damaged(file, where + " is not one change");
    }
    if (node.has("put")) {
      return new Put(TrustFiles.decodePeer(file, node.get("put"), where));
    }
    JsonNode remove = node.get("remove");
    if (remove != null && remove.isTextual() && FINGERPRINT.matcher(remove.textValue()).matches()) {
      return new Remove(remove.textValue());
    }
    throw damaged(
        file, where + " is neither a \"put\" of a peer nor a \"remove\" of a fingerprint");
  }

  private static int newline(byte[] bytes, int from) {
    for (int i = from; i < bytes.length; i++) {
      if (bytes[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  /** What to do about a damaged journal. */
  static final String REMEDY =
      "paird cannot tell which changes to the list it holds. Restore the state directory from a"
          + " backup; or move this file aside to go back to "
          + TrustFiles.JSON_NAME
          + " as it was last written, then check pairctl list-trusted: pairings since then are lost"
          + " and peers removed since then are trusted again until removed once more.";

  private static PairdException damaged(Path file, String problem) {
    return TrustFiles.invalid(file, problem, REMEDY);
  }
}
