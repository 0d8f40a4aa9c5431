package dev.paird.trust;

import dev.paird.identity.TrustedPkcs12;
import dev.paird.io.AtomicFiles;
import dev.paird.io.LocalFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The trusted list in the forms other TLS software reads, beside {@code trusted.pem} in the state
 * directory and derived from the list in the same way: {@value #CAPATH_NAME}/, an OpenSSL CApath
 * directory ({@link CaPathDirectory}), and {@value #PKCS12_NAME}, a PKCS#12 trust store for Java
 * ({@link TrustedPkcs12}). docs/INTEGRATION.md says which software reads which.
 *
 * <p>Writing is idempotent: a file that already holds what the list says is not touched, so that
 * {@link TrustStore#open} can call it on every start to heal outputs a crash left one change
 * behind, without disturbing consumers when nothing changed.
 */
final class ConsumerFiles {
  static final String CAPATH_NAME = "trusted-certs";
  static final String PKCS12_NAME = "trusted.p12";

  private ConsumerFiles() {}

  /**
   * Brings every output in {@code stateDir} in line with {@code peers}, reading what is there: for
   * start-up, and to put things back after a failed change. Returns whether it replaced or deleted
   * any file.
   */
  static boolean write(
      Path stateDir,
      List<TrustedPeer> peers,
      TrustStore.AtomicWriter writer,
      PeerEncodings encodings)
      throws IOException {
    boolean changed = CaPathDirectory.sync(stateDir.resolve(CAPATH_NAME), peers, writer, encodings);
    List<byte[]> store = TrustedPkcs12.assembleParts(pkcs12Entries(peers, encodings));
    if (!holds(stateDir.resolve(PKCS12_NAME), store)) {
      writePkcs12(stateDir, store, writer);
      changed = true;
    }
    return changed;
  }

  /**
   * Changes the outputs in {@code stateDir} for a change that adds or removes one peer, from those
   * {@link #write} or an earlier update left: in {@value #CAPATH_NAME}/ the files of that peer's
   * subject hash, whose peers were {@code had} and are now {@code wanted} (see {@link
   * CaPathDirectory#update}; none if OpenSSL cannot hash the subject), then {@value #PKCS12_NAME},
   * rebuilt from the kept parts of {@code after}.
   */
  static void update(
      Path stateDir,
      List<TrustedPeer> after,
      Optional<String> hash,
      List<TrustedPeer> had,
      List<TrustedPeer> wanted,
      TrustStore.AtomicWriter writer,
      PeerEncodings encodings)
      throws IOException {
    if (!LocalFiles.isOwnDirectory(stateDir.resolve(CAPATH_NAME))) {
      // Deleted while paird ran: made again whole, with every peer's files, as at start-up.
      write(stateDir, after, writer, encodings);
      return;
    }
    updateCaPath(stateDir, hash, had, wanted, writer, encodings);
    rewritePkcs12(stateDir, after, writer, encodings);
  }

  /**
   * Whether {@value #CAPATH_NAME}/ is there as paird's own directory, for {@link #updateCaPath}.
   */
  static boolean hasCaPath(Path stateDir) {
    try {
      return LocalFiles.isOwnDirectory(stateDir.resolve(CAPATH_NAME));
    } catch (IOException e) {
      // Not to be changed in place: update() writes the outputs whole, or says what is wrong.
      return false;
    }
  }

  /** {@link #update}'s change to {@value #CAPATH_NAME}/ alone, which must be there. */
  static void updateCaPath(
      Path stateDir,
      Optional<String> hash,
      List<TrustedPeer> had,
      List<TrustedPeer> wanted,
      TrustStore.AtomicWriter writer,
      PeerEncodings encodings)
      throws IOException {
    if (hash.isPresent()) {
      CaPathDirectory.update(
          stateDir.resolve(CAPATH_NAME), hash.get(), had, wanted, writer, encodings);
    }
  }

  /** Writes {@value #PKCS12_NAME} whole for {@code peers}. */
  static void rewritePkcs12(
      Path stateDir,
      List<TrustedPeer> peers,
      TrustStore.AtomicWriter writer,
      PeerEncodings encodings)
      throws IOException {
    // Written from the kept parts, not copied into one array: 5 MB at 10,000 peers.
    writePkcs12(stateDir, TrustedPkcs12.assembleParts(pkcs12Entries(peers, encodings)), writer);
  }

  private static List<byte[]> pkcs12Entries(List<TrustedPeer> peers, PeerEncodings encodings) {
    List<byte[]> entries = new ArrayList<>(peers.size());
    for (TrustedPeer peer : peers) {
      entries.add(encodings.of(peer).pkcs12Entry());
    }
    return entries;
  }

  private static void writePkcs12(Path stateDir, List<byte[]> parts, TrustStore.AtomicWriter writer)
      throws IOException {
    // Last, and it must stay last: paird-trust-changed.path watches this file to know that
    // every output of a change is on disk.
    writer.write(stateDir.resolve(PKCS12_NAME), parts, AtomicFiles.PUBLIC);
  }

  /** Deletes the temporary files a crashed write of the files directly in the directory left. */
  static void removeLeftovers(Path stateDir) throws IOException {
    AtomicFiles.removeLeftovers(stateDir.resolve(PKCS12_NAME));
  }

  /**
   * Whether {@code file} is a regular file (not a link) holding exactly the concatenation of {@code
   * parts}, read through a buffer of 64 KiB: {@code trusted.pem} and {@code trusted.p12} are 5 MB
   * each at 10,000 peers, and a copy of each in memory made start-up's collections copy them too.
   */
  static boolean holds(Path file, List<byte[]> parts) throws IOException {
    long length = 0;
    for (byte[] part : parts) {
      length += part.length;
    }
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      return false;
    }
    if (!attributes.isRegularFile() || attributes.size() != length) {
      return false;
    }
    byte[] buffer = new byte[64 * 1024];
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      int filled = 0;
      int used = 0;
      for (byte[] part : parts) {
        int at = 0;
        while (at < part.length) {
          if (used == filled) {
            filled = in.readNBytes(buffer, 0, buffer.length);
            used = 0;
            if (filled == 0) {
              return false;
            }
          }
          int n = Math.min(filled - used, part.length - at);
          if (!Arrays.equals(buffer, used, used + n, part, at, at + n)) {
            return false;
          }
          used += n;
          at += n;
        }
      }
      return used == filled && in.read() < 0;
    }
  }

  /** Whether {@code file} is a regular file (not a link) holding exactly {@code content}. */
  static boolean holds(Path file, byte[] content) throws IOException {
    // One lstat for both questions: start-up asks this of every file of trusted-certs/, 10,000 of
    // them for a hub.
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      // Missing or not readable as it is: rewriting it decides.
      return false;
    }
    if (!attributes.isRegularFile() || attributes.size() != content.length) {
      return false;
    }
    return Arrays.equals(readRegular(file, content.length), content);
  }

  /**
   * The content of a file an lstat found to be a regular file of {@code size} bytes: one open, one
   * read and one close, where {@link Files#readAllBytes} adds an fstat and a read that finds the
   * end. Start-up reads 10,000 files of trusted-certs/ for a hub, each syscall some microseconds.
   * The file is opened without following a link; a file that has grown since shows as {@code size +
   * 1} bytes, which holds no expected content.
   */
  static byte[] readRegular(Path file, int size) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(size + 1);
    try (FileChannel channel =
        FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      while (buffer.position() < size && channel.read(buffer) >= 0) {
        // A regular file this small comes in one read; this loop is for the exception.
      }
    }
    return Arrays.copyOf(buffer.array(), buffer.position());
  }
}
