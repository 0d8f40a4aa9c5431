package dev.paird.trust;

import dev.paird.identity.Certificates;
import dev.paird.identity.SubjectHash;
import dev.paird.io.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The trusted certificates as a directory OpenSSL reads as its CApath ({@code openssl verify
 * -CApath}, nginx's and stunnel's {@code CApath}, mosquitto's {@code capath}): one PEM file per
 * certificate, named as {@code openssl rehash} names them, {@code HASH.N}, where HASH is the
 * subject's {@link SubjectHash} and N counts certificates with the same hash from 0, in list order.
 *
 * <p>Files are regular files, not links, each replaced atomically and durably; a change writes the
 * files whose content changes, then deletes the {@code HASH.N} files the list no longer names, then
 * fsyncs the directory. The directory as a whole changes file by file, not at once: while a change
 * is in flight a reader may see a mix of the two lists, never a torn file; a removed certificate is
 * gone when the change returns. Files with other names are left alone.
 *
 * <p>A certificate whose subject OpenSSL could not hash (a value invalid in its string type) is
 * left out: OpenSSL could not look it up by subject either.
 */
final class CaPathDirectory {
  static final Set<PosixFilePermission> DIRECTORY_PERMISSIONS =
      PosixFilePermissions.fromString("rwxr-xr-x");

  /** The names this class owns in the directory: {@code openssl rehash}'s for certificates. */
  private static final Pattern HASH_NAME = Pattern.compile("[0-9a-f]{8}\\.[0-9]+");

  private CaPathDirectory() {}

  /** The file names and contents the directory holds for {@code peers}, in list order. */
  static Map<String, byte[]> entries(List<TrustedPeer> peers) {
    Map<String, Integer> counts = new HashMap<>();
    Map<String, byte[]> entries = new LinkedHashMap<>();
    for (TrustedPeer peer : peers) {
      Optional<String> hash = SubjectHash.of(peer.certificate());
      if (hash.isEmpty()) {
        continue;
      }
      int n = counts.merge(hash.get(), 1, Integer::sum) - 1;
      entries.put(
          hash.get() + "." + n,
          Certificates.toPem(peer.certificate()).getBytes(StandardCharsets.US_ASCII));
    }
    return entries;
  }

  /**
   * Makes {@code dir} hold exactly {@link #entries} of {@code peers} among its {@code HASH.N}
   * files, creating it if needed and removing temporary files a crash left. Files that already hold
   * the right bytes are not rewritten.
   */
  static void sync(Path dir, List<TrustedPeer> peers, TrustStore.AtomicWriter writer)
      throws IOException {
    AtomicFiles.createDirectory(dir, DIRECTORY_PERMISSIONS);
    Map<String, byte[]> wanted = entries(peers);
    List<Path> stale = new ArrayList<>();
    boolean removed = false;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        if (name.startsWith(".") && name.contains(".tmp-")) {
          // A temporary file of a write a crash interrupted.
          Files.deleteIfExists(file);
          removed = true;
        } else if (HASH_NAME.matcher(name).matches() && !wanted.containsKey(name)) {
          stale.add(file);
        }
      }
    }
    for (Map.Entry<String, byte[]> entry : wanted.entrySet()) {
      Path file = dir.resolve(entry.getKey());
      if (!ConsumerFiles.holds(file, entry.getValue())) {
        writer.write(file, entry.getValue(), AtomicFiles.PUBLIC);
      }
    }
    for (Path file : stale) {
      Files.deleteIfExists(file);
      removed = true;
    }
    if (removed) {
      AtomicFiles.fsyncDirectory(dir);
    }
  }
}
