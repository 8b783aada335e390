package dev.taskbound.core.policy;

import java.time.Duration;
import java.util.List;

/** One layer's {@code gate.approval}: each field null when the layer does not set it. */
record ApprovalLayer(Located<Duration> timeout, Located<List<Located<String>>> environments) {
  static final ApprovalLayer EMPTY = new ApprovalLayer(null, null);
}
