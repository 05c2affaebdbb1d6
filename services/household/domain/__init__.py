"""The household service's pure rules: public stages of a case and the notice templates."""
