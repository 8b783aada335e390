package dev.taskbound.core.egress;

import dev.taskbound.core.broker.Secret;
import java.security.SecureRandom;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

/**
 * The credentials the inspecting gateway injects: for each, a random placeholder the agent holds
 * instead of the real value, bound to this session and to the hosts the credential belongs to. The
 * gateway puts the real value in place of the placeholder in {@code Authorization} (and the header
 * the binding names) only on requests to those hosts. Thread-safe: the session binds credentials as
 * it issues them, after the gateway has started.
 */
public final class InjectedCredentials {
  /** Nothing injected. */
  public static final InjectedCredentials NONE = new InjectedCredentials();

  private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  /** A short alphanumeric prefix ending in {@code _} ({@code ghs_}, {@code npm_}) is kept: some clients check it. */
  private static final Pattern KEPT_PREFIX = Pattern.compile("^[A-Za-z0-9]{1,8}_");

  /**
   * One credential and its placeholder.
   *
   * @param hosts the canonical hosts the real value may go to
   * @param header the header (besides {@code Authorization}) the placeholder is replaced in, lower
   *     case; {@code ""} for none
   * @param placeholder what the agent holds
   * @param real the value the gateway sends
   */
  record Binding(Set<String> hosts, String header, String placeholder, Secret real) {
    @Override
    public String toString() {
      return "Binding[hosts=" + hosts + ", header=" + header + ", placeholder=" + placeholder + "]";
    }
  }

  private final List<Binding> bindings = new CopyOnWriteArrayList<>();
  private final SecureRandom random = new SecureRandom();

  /** An empty set of bindings for one session. */
  public static InjectedCredentials create() {
    return new InjectedCredentials();
  }

  private InjectedCredentials() {}

  /**
   * Binds {@code real} to {@code hosts} and returns the placeholder the agent gets instead.
   *
   * @param hosts canonical host names
   * @param header a header name the credential travels in besides {@code Authorization}, or {@code ""}
   * @throws UnsupportedOperationException on {@link #NONE}
   */
  public String bind(Set<String> hosts, String header, Secret real) {
    if (this == NONE) {
      throw new UnsupportedOperationException("InjectedCredentials.NONE binds nothing");
    }
    Objects.requireNonNull(real, "real");
    for (Binding b : bindings) {
      if (b.real().equals(real) && b.hosts().equals(Set.copyOf(hosts))) {
        return b.placeholder();
      }
    }
    String value = real.reveal();
    var m = KEPT_PREFIX.matcher(value);
    StringBuilder sb = new StringBuilder(m.find() ? m.group() : "").append("tbph");
    for (int i = 0; i < 36; i++) {
      sb.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
    }
    String placeholder = sb.toString();
    bindings.add(new Binding(Set.copyOf(hosts), header.toLowerCase(Locale.ROOT), placeholder, real));
    return placeholder;
  }

  /** Whether any credential is bound to {@code host}. */
  boolean hasBindingFor(String host) {
    return bindings.stream().anyMatch(b -> b.hosts().contains(host));
  }

  /** The header names (lower case, besides {@code authorization}) some binding for {@code host} names. */
  Set<String> headersFor(String host) {
    java.util.Set<String> out = new java.util.TreeSet<>();
    out.add("authorization");
    for (Binding b : bindings) {
      if (b.hosts().contains(host) && !b.header().isEmpty()) {
        out.add(b.header());
      }
    }
    return out;
  }

  /** The first binding whose placeholder occurs in {@code text}. */
  Optional<Binding> placeholderIn(String text) {
    for (Binding b : bindings) {
      if (text.contains(b.placeholder())) {
        return Optional.of(b);
      }
    }
    return Optional.empty();
  }

  /** The first binding whose real value occurs in {@code text}. */
  Optional<Binding> realValueIn(String text) {
    for (Binding b : bindings) {
      if (text.contains(b.real().reveal())) {
        return Optional.of(b);
      }
    }
    return Optional.empty();
  }

  /** Every binding, for the session's report (placeholders are not secret). */
  List<Binding> bindings() {
    return List.copyOf(bindings);
  }

  @Override
  public String toString() {
    return "InjectedCredentials[" + bindings.size() + " bound]";
  }
}
