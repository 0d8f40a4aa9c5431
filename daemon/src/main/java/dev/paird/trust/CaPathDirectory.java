package dev.paird.trust;

import dev.paird.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

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

  private CaPathDirectory() {}

  /**
   * Whether {@code name} is one this class owns in the directory, {@code openssl rehash}'s for
   * certificates: eight lowercase hex digits, a dot and decimal digits. Checked by hand where a
   * regular expression made a matcher for each of a hub's 10,000 names, twice at start-up.
   */
  static boolean isHashName(String name) {
    if (name.length() < 10 || name.charAt(8) != '.') {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean digit = c >= '0' && c <= '9';
      if (i < 8 ? !digit && !(c >= 'a' && c <= 'f') : i > 8 && !digit) {
        return false;
      }
    }
    return true;
  }

  /** The file names the directory holds for {@code peers}, in list order, and whose they are. */
  static Map<String, TrustedPeer> entries(List<TrustedPeer> peers, PeerEncodings encodings) {
    return entries(peers, encodings, hash -> true);
  }

  /**
   * {@link #entries(List, PeerEncodings)}, of the peers whose subject hash is {@code wanted} only:
   * a file's number counts only certificates of its hash, so these are the same names.
   */
  private static Map<String, TrustedPeer> entries(
      List<TrustedPeer> peers, PeerEncodings encodings, Predicate<String> wanted) {
    Map<String, Integer> counts = new HashMap<>();
    Map<String, TrustedPeer> entries = new LinkedHashMap<>();
    for (TrustedPeer peer : peers) {
      Optional<String> hash = encodings.of(peer).subjectHash();
      if (hash.isEmpty() || !wanted.test(hash.get())) {
        continue;
      }
      int n = counts.merge(hash.get(), 1, Integer::sum) - 1;
      entries.put(hash.get() + "." + n, peer);
    }
    return entries;
  }

  /**
   * Makes {@code dir} hold exactly {@link #entries} of {@code peers} among its {@code HASH.N}
   * files, creating it if needed and removing temporary files a crash left. Files that already hold
   * the right bytes are not rewritten. Reads every file: for start-up, when what the directory
   * holds is not known.
   */
  static void sync(
      Path dir, List<TrustedPeer> peers, TrustStore.AtomicWriter writer, PeerEncodings encodings)
      throws IOException {
    AtomicFiles.createDirectory(dir, DIRECTORY_PERMISSIONS);
    Map<String, TrustedPeer> wanted = entries(peers, encodings);
    List<Path> stale = new ArrayList<>();
    boolean removed = false;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        if (name.startsWith(".") && name.contains(".tmp-")) {
          // A temporary file of a write a crash interrupted.
          Files.deleteIfExists(file);
          removed = true;
        } else if (isHashName(name) && !wanted.containsKey(name)) {
          stale.add(file);
        }
      }
    }
    for (Map.Entry<String, TrustedPeer> entry : wanted.entrySet()) {
      Path file = dir.resolve(entry.getKey());
      byte[] content = encodings.of(entry.getValue()).certificatePem();
      if (!ConsumerFiles.holds(file, content)) {
        writer.write(file, content, AtomicFiles.PUBLIC);
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

  /**
   * Changes {@code dir} from holding {@code before}'s files, as {@link #sync} or an earlier update
   * left it, to holding {@code after}'s, touching only the files whose certificate changes: the new
   * peer's, the removed peer's, and those renumbered because they share its subject hash. Reads no
   * file, and names only the files of the subject hashes of peers that are in one list and not the
   * other: naming all of them, twice, took 15 ms of a change at 10,000 peers.
   */
  static void update(
      Path dir,
      List<TrustedPeer> before,
      List<TrustedPeer> after,
      TrustStore.AtomicWriter writer,
      PeerEncodings encodings)
      throws IOException {
    Set<String> hashes = changedHashes(before, after, encodings);
    if (hashes.isEmpty()) {
      // A re-pairing: the same certificates in the same order.
      return;
    }
    Map<String, TrustedPeer> had = entries(before, encodings, hashes::contains);
    Map<String, TrustedPeer> wanted = entries(after, encodings, hashes::contains);
    for (Map.Entry<String, TrustedPeer> entry : wanted.entrySet()) {
      TrustedPeer old = had.get(entry.getKey());
      if (old == null || !old.fingerprint().equals(entry.getValue().fingerprint())) {
        writer.write(
            dir.resolve(entry.getKey()),
            encodings.of(entry.getValue()).certificatePem(),
            AtomicFiles.PUBLIC);
      }
    }
    boolean removed = false;
    for (String name : had.keySet()) {
      if (!wanted.containsKey(name)) {
        Files.deleteIfExists(dir.resolve(name));
        removed = true;
      }
    }
    if (removed) {
      AtomicFiles.fsyncDirectory(dir);
    }
  }

  /** The subject hashes of the peers in one list and not in the other. */
  private static Set<String> changedHashes(
      List<TrustedPeer> before, List<TrustedPeer> after, PeerEncodings encodings) {
    Set<String> beforeFingerprints = new HashSet<>();
    for (TrustedPeer peer : before) {
      beforeFingerprints.add(peer.fingerprint());
    }
    Set<String> hashes = new HashSet<>();
    for (TrustedPeer peer : after) {
      if (!beforeFingerprints.remove(peer.fingerprint())) {
        encodings.of(peer).subjectHash().ifPresent(hashes::add);
      }
    }
    if (!beforeFingerprints.isEmpty()) {
      for (TrustedPeer peer : before) {
        if (beforeFingerprints.contains(peer.fingerprint())) {
          encodings.of(peer).subjectHash().ifPresent(hashes::add);
        }
      }
    }
    return hashes;
  }
}
