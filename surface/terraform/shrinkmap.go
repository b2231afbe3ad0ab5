package terraform

// shrinkingMap is a map that a scan fills and then takes entries out of
// (file contents, listings, per-directory counts). A Go map keeps the
// memory of the most entries it ever held, which the collector scans at
// every cycle for the rest of the scan; this one is copied into a map of
// its current size once it is down to a quarter of its largest, so that
// what it holds follows what is left, at an amortized constant cost per
// deletion. The zero value is empty and ready to use; it is not safe for
// concurrent use.
type shrinkingMap[V any] struct {
	m    map[string]V
	peak int // the most entries m has held since it was last copied
}

func (s *shrinkingMap[V]) get(key string) (V, bool) {
	v, ok := s.m[key]
	return v, ok
}

func (s *shrinkingMap[V]) put(key string, v V) {
	if s.m == nil {
		s.m = map[string]V{}
	}
	s.m[key] = v
	s.peak = max(s.peak, len(s.m))
}

// take removes key and returns what it held.
func (s *shrinkingMap[V]) take(key string) (V, bool) {
	v, ok := s.m[key]
	if ok {
		s.delete(key)
	}
	return v, ok
}

func (s *shrinkingMap[V]) delete(key string) {
	if _, ok := s.m[key]; !ok {
		return
	}
	delete(s.m, key)
	if len(s.m) <= s.peak/4 {
		// Copied entry by entry: maps.Clone may keep the old size.
		var m map[string]V
		if len(s.m) > 0 {
			m = make(map[string]V, len(s.m))
			for k, v := range s.m {
				m[k] = v
			}
		}
		s.m, s.peak = m, len(m)
	}
}
