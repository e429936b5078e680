package locales

import "embed"

// SMS holds the SMS replies and keywords, one file per language
// (sms/<lang>.yaml); `--locales DIR` reads DIR/sms instead.
//
//go:embed sms/*.yaml
var SMS embed.FS
