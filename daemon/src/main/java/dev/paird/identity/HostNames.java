package dev.paird.identity;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The names a generated certificate gives its host as subjectAltNames, so that clients that check
 * host names (curl, Go, Java's HTTPS check, PostgreSQL's {@code verify-full}) accept it when they
 * reach the device by one of them.
 *
 * <p>DNS names: the host name, lowercased, if it is a valid DNS name, and {@code NAME.local} (mDNS)
 * when the host name has no dot. IP addresses: those given, which must be literals; paird passes
 * the listen address when one is configured. A host name that is an IP literal is an IP address,
 * never a DNS name. Names resolved at start-up are not added: a certificate is made once and kept,
 * and a DHCP lease or a resolver's answer is not.
 *
 * @param dnsNames DNS names, in order, without duplicates
 * @param addresses IP addresses, in order, without duplicates
 */
public record HostNames(List<String> dnsNames, List<InetAddress> addresses) {
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
  private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");
  private static final int MAX_DNS_NAME_LENGTH = 253;

  public HostNames {
    dnsNames = List.copyOf(dnsNames);
    addresses = List.copyOf(addresses);
  }

  /**
   * The names of a host called {@code hostName} that listens on {@code addressLiterals}; text that
   * is neither a DNS name nor an IP literal is left out.
   */
  public static HostNames of(String hostName, List<String> addressLiterals) {
    Set<String> dns = new LinkedHashSet<>();
    Set<InetAddress> addresses = new LinkedHashSet<>();
    String name = hostName.strip().toLowerCase(Locale.ROOT);
    InetAddress hostAddress = literal(name);
    if (hostAddress != null) {
      addresses.add(hostAddress);
    } else if (isDnsName(name)) {
      dns.add(name);
      if (name.indexOf('.') < 0 && isDnsName(name + ".local")) {
        dns.add(name + ".local");
      }
    }
    for (String text : addressLiterals) {
      InetAddress address = literal(text.strip());
      if (address != null) {
        addresses.add(address);
      }
    }
    return new HostNames(new ArrayList<>(dns), new ArrayList<>(addresses));
  }

  /** Whether there is no name at all to put in a certificate. */
  public boolean isEmpty() {
    return dnsNames.isEmpty() && addresses.isEmpty();
  }

  /** Whether {@code name} is letters, digits and hyphens in dot-separated labels (RFC 1123). */
  static boolean isDnsName(String name) {
    if (name.isEmpty() || name.length() > MAX_DNS_NAME_LENGTH) {
      return false;
    }
    for (String label : name.split("\\.", -1)) {
      if (!LABEL.matcher(label).matches()) {
        return false;
      }
    }
    // A name of digits and dots only would read as an IPv4 address.
    return !name.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
  }

  /** The address an IP literal names, or null if it is not one; never asks a resolver. */
  private static InetAddress literal(String text) {
    String bare =
        text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
    if (!IPV4.matcher(bare).matches() && !IPV6.matcher(bare).matches()) {
      return null;
    }
    try {
      // getByName takes a literal without a lookup; anything it cannot parse as one fails here.
      return InetAddress.getByName(bare);
    } catch (UnknownHostException | SecurityException e) {
      return null;
    }
  }
}
